# Naive doubly recursive Fibonacci: closure calls, integer arithmetic and
# comparisons, and nothing else. About 2 * fib(n + 1) calls.
{ n ? 28 }:
let
  fib = k: if k < 2 then k else fib (k - 1) + fib (k - 2);
in
fib n
