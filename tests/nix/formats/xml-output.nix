# What `--xml` prints for a file (here without source locations).
rec {
  n = 1;
  s = "a\"b";
  f = { x, y ? n }: x;
  g = a: a;
  l = [ null true 2.5 ];
  d = { type = "derivation"; drvPath = "/d.drv"; outPath = "/o"; name = "d"; };
}
