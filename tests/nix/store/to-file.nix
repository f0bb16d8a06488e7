# toFile: text store paths, whose references come from the context.
let
  a = builtins.toFile "a" "first";
  b = builtins.toFile "b" "refers to ${a}";
  c = builtins.toFile "c.sh" "cat ${./data/hello.txt} ${b}";
in
[
  a
  b
  c
  (builtins.toFile "empty" "")
  (builtins.toFile "multi-line" ''
    line one
    line two
  '')
  (builtins.toFile "a" "first" == a)
  (builtins.toFile "odd.name+-_?=" "x")
]
