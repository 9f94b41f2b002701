{
  "targets": [
    {
      "target_name": "socklab_native",
      "sources": ["native/addon.c", "native/core.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "socklab-prefork",
      "type": "executable",
      "sources": ["native/prefork.c", "native/core.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra"],
      "libraries": ["-lpthread"]
    }
  ]
}
