// Intrusive doubly linked lists: the links live in the items, so adding an
// item to a list allocates nothing and cannot fail. Region and view books are
// kept on paths where memory may have run out (at vm.max_map_count, malloc's
// own mmap() fails too), and a growing container would throw there.
#pragma once

namespace mman {

template <typename T>
struct Links {
  T* prev = nullptr;
  T* next = nullptr;
};

template <typename T, Links<T> T::*kLinks>
class List {
 public:
  T* Front() const { return head_; }
  bool Empty() const { return head_ == nullptr; }
  static T* Next(const T* item) { return (item->*kLinks).next; }

  void PushFront(T* item) {
    (item->*kLinks).prev = nullptr;
    (item->*kLinks).next = head_;
    if (head_ != nullptr) (head_->*kLinks).prev = item;
    head_ = item;
  }

  void Remove(T* item) {
    Links<T>& links = item->*kLinks;
    if (links.prev != nullptr) {
      (links.prev->*kLinks).next = links.next;
    } else if (head_ == item) {
      head_ = links.next;
    } else {
      return;  // not in this list
    }
    if (links.next != nullptr) (links.next->*kLinks).prev = links.prev;
    links.prev = links.next = nullptr;
  }

 private:
  T* head_ = nullptr;
};

}  // namespace mman
