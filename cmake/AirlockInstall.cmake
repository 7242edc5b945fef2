# What `cmake --install` puts on a system besides the programs (each
# src/*/CMakeLists.txt installs its own with install(TARGETS)): the man
# pages, the signatures, the systemd units and the configuration. The
# Debian package (debian/rules) is exactly this install with
# CMAKE_INSTALL_PREFIX=/usr.
#
# Everything is found by pattern, so a new man page (man/NAME.SECTION),
# unit or timer (conf/*.service, conf/*.timer) is installed without an
# edit here.

include(GNUInstallDirs)

# systemd reads /lib/systemd/system, /usr/lib/systemd/system and
# /usr/local/lib/systemd/system (never a multiarch libdir).
set(AIRLOCK_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd units go (relative to the prefix, or absolute; Debian: /lib/systemd/system)")

set(AIRLOCK_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/airlock")
set(AIRLOCK_STATE_DIR "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/airlock")
set(AIRLOCK_RUN_DIR "${CMAKE_INSTALL_FULL_RUNSTATEDIR}/airlock")
set(AIRLOCK_SIGNATURES_DIR "${CMAKE_INSTALL_FULL_DATADIR}/airlock/signatures")
set(AIRLOCK_GENERATED_DIR "${CMAKE_CURRENT_BINARY_DIR}/install")

# Man pages: man/NAME.N goes to manN.
file(GLOB AIRLOCK_MAN_PAGES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/man/*.[1-9])
foreach(page ${AIRLOCK_MAN_PAGES})
  string(REGEX REPLACE "^.*\\.([1-9])$" "\\1" section ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

install(DIRECTORY signatures/ DESTINATION ${CMAKE_INSTALL_DATADIR}/airlock/signatures
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Replaces each regular expression of pairs (FROM1 TO1 FROM2 TO2...) in
# file, failing the configuration when one no longer matches: a sample
# that drifted from what the install expects is caught here, not on a
# user's system.
function(airlock_install_copy source dest)
  file(READ ${source} text)
  set(pairs ${ARGN})
  list(LENGTH pairs n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET pairs ${i} from)
    list(GET pairs ${j} to)
    if(NOT text MATCHES "${from}")
      message(FATAL_ERROR "${source}: no line matches '${from}' (update cmake/AirlockInstall.cmake)")
    endif()
    string(REGEX REPLACE "${from}" "${to}" text "${text}")
  endforeach()
  file(WRITE ${dest} "${text}")
endfunction()

# systemd units and timers, with the installed paths of the programs and
# of the configuration.
file(GLOB AIRLOCK_UNITS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/conf/*.service
     ${CMAKE_CURRENT_SOURCE_DIR}/conf/*.timer)
foreach(unit ${AIRLOCK_UNITS})
  get_filename_component(name ${unit} NAME)
  file(READ ${unit} text)
  string(REGEX REPLACE "/usr/(local/)?sbin/airlock" "${CMAKE_INSTALL_FULL_SBINDIR}/airlock"
         text "${text}")
  string(REPLACE "/etc/airlock/" "${AIRLOCK_CONF_DIR}/" text "${text}")
  string(REPLACE "/var/lib/airlock" "${AIRLOCK_STATE_DIR}" text "${text}")
  file(WRITE ${AIRLOCK_GENERATED_DIR}/${name} "${text}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${unit})
  install(FILES ${AIRLOCK_GENERATED_DIR}/${name} DESTINATION ${AIRLOCK_SYSTEMD_UNITDIR})
endforeach()

# The configuration: conf/airlock.conf (which documents every key) with
# the installed paths in place of the checkout's relative ones.
airlock_install_copy(${CMAKE_CURRENT_SOURCE_DIR}/conf/airlock.conf
  ${AIRLOCK_GENERATED_DIR}/airlock.conf
  "\n# This bundled file works from a source checkout:[^\n]*\n#[^\n]*\n#[^\n]*\n#[^\n]*\n#[^\n]*\n#[^\n]*\n"
  "\n# Installed by Airlock's `cmake --install` (or the Debian package): the\n# paths below are those of the installed system. Relative paths would be\n# relative to the directory of this file. The defaults given below\n# are those used when a key is left out. See airlock.conf(5).\n"
  "\nsocket = unix:[^\n]*" "\nsocket = unix:${AIRLOCK_RUN_DIR}/airlock.sock"
  "\npidfile = [^\n]*" "\npidfile = ${AIRLOCK_RUN_DIR}/airlock.pid"
  "\n#status_file = [^\n]*" "\n#status_file = ${AIRLOCK_RUN_DIR}/airlock.status"
  "\nsignatures = [^\n]*" "\nsignatures = ${AIRLOCK_SIGNATURES_DIR}"
  "\ndir = [^\n]*" "\ndir = ${AIRLOCK_STATE_DIR}"
  "\n#release_key = [^\n]*" "\n#release_key = ${AIRLOCK_STATE_DIR}/release.key"
  "\nhelper = [^\n]*" "\nhelper = ${CMAKE_INSTALL_FULL_LIBEXECDIR}/airlock/airlock-safecopy")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_SOURCE_DIR}/conf/airlock.conf)
install(FILES ${AIRLOCK_GENERATED_DIR}/airlock.conf DESTINATION ${AIRLOCK_CONF_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
