# match and split work on bytes, as Nix's regular expressions do: `.`
# matches one byte, so a match may cut a character.
with builtins;
[
  (match "(.)(.*)" "ü")
  (match "(.)" "ü")
  (split "(.)" "ü")
  (map stringLength (filter isString (split "" "€")))
  (match "a(.*)b" "aüb")
  (split (substring 0 1 "ü") "xüyäz")
  (match "${substring 0 1 "ü"}(.)" "ä")
]
