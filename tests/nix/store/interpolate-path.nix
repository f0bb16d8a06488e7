# A path interpolated into a string is named by the NAR hash of its
# contents: files, directories, executables and symlinks all count.
[
  "${./data/hello.txt}"
  "${./data/sub/run.sh}"
  "${./data/sub/link}"
  "${./data/sub}"
  "${./data}"
  ("x${./data/hello.txt}y")
]
