(derivation {
  name = "p";
  system = "x";
  builder = "/bin/sh";
  args = [ "-c" "echo > ${placeholder "out"}" ];
}).outPath
