[
  (builtins.toPath "/a/../b/./c/")
  (builtins.toPath /foo/bar)
  (builtins.typeOf (builtins.toPath /foo/bar))
  (builtins.toPath { outPath = "/x//y"; })
  (builtins.toPath { __toString = self: "/z"; })
]
