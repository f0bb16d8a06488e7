# Indented strings as Nix 2.8 strips them: escapes end a line's leading
# blanks when the indentation is measured, and an escaped newline starts a
# line when it is stripped; a lone `$` or `'` counts as an escape.
[
  (
''  ''\n  ''
  )
  (
''
  a''\n  b
''
  )
  (
''
    a
  ''$b
  c
''
  )
  (
''
  x'''
    y
  ''
  )
  (
''
  $''
  )
  (
''
   a
  ''\t b
''
  )
  (
''
  a
  ''\n''
  )
  (
''
  a ''\n''
  )
  (
''   
  a
''
  )
  (
''  b
  c''
  )
  (
''

  a

    b
  ''
  )
  (
''
  ${"x"}
    y
  ''
  )
  (
''
  a$
  '$b
''
  )
  (
''
  
  a
  ''\n  ''
  )
  (
''
  a
  '' + "z"
  )
  (
''
	 a
''
  )
  (
''
  a
  b''
  )
  (
''''\é  x''
  )
  (
''
  a
    ''$''
  )
  (
''  ''
  )
  (
''''
  )
  (
''
  ''\  x
  y''
  )
  (
''
  a ${"b"}
  ''
  )
]
