# The tools addon (mman_tools.node): the benchmarks' timing kernels, the seed
# demos' fork() and libc's strerror. Its own directory, so that prebuildify
# (--cwd bench/native) and node-gyp-build (bench/native) handle it as one addon.
# It shares the library's argument helpers (native/args.cc) by relative path.
{
  "variables": {
    "sanitize%": "false"
  },
  "targets": [
    {
      "target_name": "mman_tools",
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "sources": [
        "addon.cc",
        "bench_kernels.cc",
        "ipc_floor.cc",
        "fork_calls.cc",
        "libc_calls.cc",
        "../../native/args.cc"
      ],
      "conditions": [
        ["OS!='linux'", { "type": "none" }],
        ["sanitize=='true'", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
