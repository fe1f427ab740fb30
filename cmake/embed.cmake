# Turns a file into a C string constant: cmake -DIN= -DOUT= -DSYM= -P embed.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "(char)0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n#include <stddef.h>\n"
  "const char ${SYM}[] = {${bytes} 0x00};\nconst size_t ${SYM}_len = ${len};\n")
