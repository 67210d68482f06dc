# Finds the Python that the installed gdb embeds and points pybind11 at it, so the plugin module
# `_pyreplay` imports inside gdb: Debian 12's gdb 13 embeds 3.11, Debian 13's gdb 16 embeds 3.13.
# Sets PYREPLAY_GDB_PYTHON (e.g. /usr/bin/python3.13) and PYREPLAY_GDB_PYTHON_VERSION (3.13).
# Override with -DPYREPLAY_GDB_PYTHON=/path/to/python3.X for a gdb built against another Python.
find_program(PYREPLAY_GDB gdb)
if(NOT PYREPLAY_GDB)
  message(FATAL_ERROR "gdb not found: pyreplay's plugin runs inside gdb (install the gdb package)")
endif()

if(NOT PYREPLAY_GDB_PYTHON)
  execute_process(
    COMMAND ${PYREPLAY_GDB} -nx -batch
            -ex "python import sys; print('gdb-python %d.%d' % sys.version_info[:2])"
    OUTPUT_VARIABLE gdb_python_out ERROR_VARIABLE gdb_python_err
    RESULT_VARIABLE gdb_python_rc TIMEOUT 60)
  if(NOT gdb_python_out MATCHES "gdb-python ([0-9]+\\.[0-9]+)")
    string(STRIP "${gdb_python_err}" gdb_python_err)
    message(FATAL_ERROR "${PYREPLAY_GDB} has no Python (it said: ${gdb_python_err}); "
                        "pyreplay's plugin needs a gdb built with Python scripting")
  endif()
  set(gdb_python_version ${CMAKE_MATCH_1})
  find_program(gdb_python_exe python${gdb_python_version} PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT gdb_python_exe)
    find_program(gdb_python_exe python${gdb_python_version})
  endif()
  if(NOT gdb_python_exe)
    message(FATAL_ERROR "${PYREPLAY_GDB} embeds Python ${gdb_python_version}, but no "
                        "python${gdb_python_version} is installed to build the plugin against "
                        "(Debian: python${gdb_python_version}-dev)")
  endif()
  set(PYREPLAY_GDB_PYTHON ${gdb_python_exe} CACHE FILEPATH "The Python that gdb embeds")
  unset(gdb_python_exe CACHE)
endif()

execute_process(COMMAND ${PYREPLAY_GDB_PYTHON} -c "import sys; print('%d.%d' % sys.version_info[:2])"
                OUTPUT_VARIABLE PYREPLAY_GDB_PYTHON_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE gdb_python_rc)
if(NOT gdb_python_rc EQUAL 0)
  message(FATAL_ERROR "PYREPLAY_GDB_PYTHON=${PYREPLAY_GDB_PYTHON} does not run")
endif()
message(STATUS "gdb embeds Python ${PYREPLAY_GDB_PYTHON_VERSION}: building the plugin against "
               "${PYREPLAY_GDB_PYTHON}")

# pybind11 2.10 (Debian 12) reads PYTHON_EXECUTABLE (FindPythonInterp); pybind11 2.13 and 3.x
# (Debian 13, unstable) use FindPython, which reads Python_EXECUTABLE. Set both.
set(PYTHON_EXECUTABLE ${PYREPLAY_GDB_PYTHON} CACHE FILEPATH "Python that gdb embeds" FORCE)
set(Python_EXECUTABLE ${PYREPLAY_GDB_PYTHON} CACHE FILEPATH "Python that gdb embeds" FORCE)
