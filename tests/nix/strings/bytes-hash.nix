# hashString hashes a string's bytes, UTF-8 or not.
with builtins;
let
  lead = substring 0 1 "ü";
  binary = readFile ./bytes.bin;
in
[
  (hashString "md5" lead)
  (hashString "sha1" lead)
  (hashString "sha256" lead)
  (hashString "sha512" (substring 1 2 "€x"))
  (hashString "sha256" binary)
  (hashString "sha256" (lead + substring 1 1 "ü") == hashString "sha256" "ü")
]
