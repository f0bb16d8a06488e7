# Derivations of every kind Nix 2.8 instantiates, for tests/instantiate.rs:
# each is instantiated by Spindle and by nix-instantiate, the .drv files
# compared, and some are built with a static busybox as their builder.
# `busybox` is a directory holding a `busybox` binary; `added` a path
# already in the store (for builtins.storePath).
{ busybox, added }:
let
  system = builtins.currentSystem;
  # The builder runs as "busybox", so busybox's first argument names the applet.
  tools = builtins.path { path = busybox; name = "busybox"; };
  builder = "${tools}/busybox";
  sh = script: [ "sh" "-c" script ];
  src = builtins.path { path = ./src; name = "src"; };
  flatSource = builtins.path { path = ./src/readme; recursive = false; };
  note = builtins.toFile "note" "built from ${src}\n";
in
rec {
  hello = derivation {
    name = "hello";
    inherit system builder;
    args = sh "echo hello from busybox > $out";
  };

  multi = derivation {
    name = "multi";
    inherit system builder;
    outputs = [ "out" "dev" "lib" ];
    args = sh "echo out > $out; echo dev > $dev; echo lib > $lib";
  };

  fixedFlat = derivation {
    name = "fixed-flat";
    inherit system builder;
    args = sh "printf hello > $out";
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = "094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic";
  };

  fixedRecursive = derivation {
    name = "fixed-recursive";
    inherit system builder;
    args = sh "printf hello > $out";
    outputHashMode = "recursive";
    outputHash = "sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=";
  };

  # Nix 2.8 knows no "text" mode: both refuse it alike.
  fixedText = derivation {
    name = "fixed-text";
    inherit system builder;
    outputHashMode = "text";
    outputHash = "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
  };

  structured = derivation {
    name = "structured";
    inherit system builder;
    __structuredAttrs = true;
    list = [ 1 "two" { three = 3; } ];
    flag = true;
    source = src;
    args = sh "cp .attrs.json $out";
  };

  passFile = derivation {
    name = "pass-file";
    inherit system builder;
    passAsFile = [ "big" ];
    big = "a value passed as a file\n";
    args = sh "cp $bigPath $out";
  };

  refs = derivation {
    name = "refs";
    inherit system builder note flatSource;
    dev = multi.dev;
    fixed = fixedFlat;
    tree = src;
    args = sh "cat $fixed $dev $note > $out";
  };

  context = derivation {
    name = "context";
    inherit system builder;
    stored = builtins.storePath added;
    sourced = "${./src/sub}/data";
    args = sh "cat $stored > $out";
  };

  # What nix-instantiate prints for collections.
  list = [ hello multi.dev ];
  set = {
    inherit hello;
    nested = { skipped = multi; };
    deeper = { recurseForDerivations = true; inherit passFile; };
    notADerivation = 3;
  };

  # Failures.
  missingOutput = derivation {
    name = "missing-output";
    inherit system builder;
    lib = multi.doc;
  };
  notValid = derivation {
    name = "not-valid";
    inherit system builder;
    stored = builtins.storePath "${builtins.storeDir}/00000000000000000000000000000000-absent";
  };
}
