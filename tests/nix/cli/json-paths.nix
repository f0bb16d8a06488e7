# nix-instantiate prints JSON with no line break, after one value or
# between several.
{ a = [ 1 "x" ]; b.c = { d = null; }; }
