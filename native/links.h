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
  T* Back() const { return tail_; }
  bool Empty() const { return head_ == nullptr; }
  static T* Next(const T* item) { return (item->*kLinks).next; }
  static T* Prev(const T* item) { return (item->*kLinks).prev; }

  void PushFront(T* item) {
    (item->*kLinks).prev = nullptr;
    (item->*kLinks).next = head_;
    if (head_ != nullptr) {
      (head_->*kLinks).prev = item;
    } else {
      tail_ = item;
    }
    head_ = item;
  }

  // Oldest first: walks that look for what old items pin end sooner.
  void PushBack(T* item) {
    (item->*kLinks).prev = tail_;
    (item->*kLinks).next = nullptr;
    if (tail_ != nullptr) {
      (tail_->*kLinks).next = item;
    } else {
      head_ = item;
    }
    tail_ = item;
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
    if (links.next != nullptr) {
      (links.next->*kLinks).prev = links.prev;
    } else {
      tail_ = links.prev;
    }
    links.prev = links.next = nullptr;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};

}  // namespace mman
