# A name that is not an identifier is quoted in the error, as the Nixpkgs
# fileset tests expect (lib.fileset.fileFilter's extra attribute).
({ a }: a) { a = 1; "not an identifier" = 2; }
