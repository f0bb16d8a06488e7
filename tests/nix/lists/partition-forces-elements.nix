# partition forces each element before calling the predicate, even one
# that ignores its argument.
(builtins.partition (x: true) [ 1 (throw "element forced") ]).wrong
