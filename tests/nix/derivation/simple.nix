derivation {
  name = "x";
  system = "x";
  builder = "/bin/sh";
}
