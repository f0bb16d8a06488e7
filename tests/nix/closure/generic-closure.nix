# genericClosure: breadth-first, the first element with a key wins, and
# keys are told apart by Nix's ordering (1 and 1.0 are the same key).
let
  collatz = n: if n == 1 then [ ] else if n / 2 * 2 == n then [ (n / 2) ] else [ (3 * n + 1) ];
in
[
  (map (e: e.key) (builtins.genericClosure {
    startSet = [ { key = 6; } ];
    operator = e: map (k: { key = k; }) (collatz e.key);
  }))
  (builtins.genericClosure {
    startSet = [
      { key = 1; tag = "first"; }
      { key = 1.0; tag = "second"; }
    ] ++ [ ];
    operator = e: [ ];
  } == [ ])
  (builtins.genericClosure {
    startSet = [ { key = [ 1 "a" ]; } { key = [ 1 "a" ]; n = 2; } { key = [ 1 ]; } ];
    operator = e: [ ];
  })
  (builtins.genericClosure { startSet = [ ]; operator = e: throw "never called"; })
  (builtins.genericClosure {
    startSet = [ { key = "b"; } { key = "a"; } ];
    operator = e: if e.key == "a" then [ { key = "c"; } { key = "b"; dup = true; } ] else [ ];
  })
  (builtins.genericClosure {
    startSet = [ { key = ./.; } ];
    operator = e: [ { key = ./.; } ];
  } == [ { key = ./.; } ])
]
