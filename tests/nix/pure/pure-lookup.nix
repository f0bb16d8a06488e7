import <nixpkgs>
