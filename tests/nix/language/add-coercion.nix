# `+` is Nix's string concatenation unless the left operand is a number or
# a path: a set with `__toString` or `outPath` on the left is coerced.
[
  ({ __toString = _: "x"; } + "y")
  ({ outPath = "/a"; } + "y")
  ("x" + { __toString = self: self.v; v = "z"; })
  (1 + 2.5)
  (baseNameOf (./. + "/sub"))
  ("a${"b"}" + "c")
]
