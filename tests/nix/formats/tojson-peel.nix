# Sets that stand for a string (__toString) or another value (outPath).
{
  toString = builtins.toJSON { __toString = self: "won"; outPath = abort "unused"; };
  toStringSelf = builtins.toJSON { __toString = self: self.a; a = "from self"; };
  toStringNested = builtins.toJSON { __toString = self: { outPath = "deep"; }; };
  outPathString = builtins.toJSON { outPath = "out"; };
  outPathInt = builtins.toJSON { outPath = 42; };
  outPathSet = builtins.toJSON { outPath = { a = 1; b = [ 2 ]; }; };
  outPathNested = builtins.toJSON { outPath = { outPath = "nested"; }; };
  inList = builtins.toJSON [ { outPath = "x"; } { __toString = _: "y"; } ];
}
