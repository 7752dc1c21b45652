{
  "variables": {
    "sanitize%": "false"
  },
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "conditions": [
      ["OS!='linux'", { "type": "none" }],
      ["sanitize=='true'", {
        "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"],
        "ldflags": ["-fsanitize=address,undefined"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "mman",
      "sources": [
        "native/addon.cc",
        "native/region.cc",
        "native/views.cc",
        "native/pending_frees.cc",
        "native/handle_table.cc",
        "native/env.cc",
        "native/async_wait.cc",
        "native/waiter.cc",
        "native/uring_waiter.cc",
        "native/args.cc",
        "native/region_args.cc",
        "native/constants.cc",
        "native/mapping_calls.cc",
        "native/async_calls.cc",
        "native/heap_calls.cc",
        "native/file_calls.cc",
        "native/futex_calls.cc"
      ]
    }
  ]
}
