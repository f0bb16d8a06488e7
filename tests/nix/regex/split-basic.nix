# builtins.split: pieces between matches, interleaved with each match's
# groups.
with builtins;
[
  (split "(a)b" "abc")
  (split "([ac])" "abc")
  (split "(a)|(c)" "abc")
  (split "([[:upper:]]+)" "  FOO   ")
  (split "[[:space:]]+|([',.!?])" "Nix Rocks!\nThat's why.")
  (split "(o+)" "oooofoooo")
  (split "fo+" "f")
  (split "x" "")
  (split "" "abc")
  (split "a*" "baaac")
  (split "x*" "")
  (split "^a" "aaa")
  (split "a$" "aaa")
  (split "^" "ab")
  (split "$" "ab")
  (split "(a)*" "aab")
]
