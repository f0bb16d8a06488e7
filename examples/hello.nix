# A small program that recurses far deeper than C++ Nix's stack allows:
# `deep 1000000` nests a million non-tail calls.
let
  deep = n: if n == 0 then 0 else 1 + deep (n - 1);
  greet = name: "Hello, ${name}!";
in
{
  greeting = greet "Spindle";
  depth = deep 1000000;
  squares = map (x: x * x) (builtins.genList (i: i + 1) 5);
  sorted = builtins.sort (a: b: a < b) [ 5 3 9 1 ];
}
