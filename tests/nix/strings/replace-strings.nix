# replaceStrings scans left to right; at each position the first matching
# `from` wins; an empty `from` matches between every two characters.
with builtins;
let
  ctx = appendContext "X" {
    "/nix/store/0c6b0wn3h5qs6hhnyxhah4nfzf8z0kg4-foo" = {
      path = true;
    };
  };
in
[
  (replaceStrings [ "o" ] [ "a" ] "foobar")
  (replaceStrings [ "oo" "a" ] [ "a" "oo" ] "foobar")
  (replaceStrings [ "oo" "oo" ] [ "u" "i" ] "foobar")
  (replaceStrings [ "o" "oo" ] [ "1" "2" ] "foooo")
  (replaceStrings [ "" ] [ "-" ] "abc")
  (replaceStrings [ "b" "" ] [ "B" "-" ] "abc")
  (replaceStrings [ ] [ ] "abc")
  (replaceStrings [ "a" ] [ "b" ] "")
  (replaceStrings [ "${"$"}{x}" ] [ "y" ] "a${"$"}{x}b")
  (hasContext (replaceStrings [ "a" ] [ ctx ] "abc"))
  (hasContext (replaceStrings [ "z" ] [ ctx ] "abc"))
  (attrNames (getContext (replaceStrings [ "a" ] [ "b" ] ctx)))
]
