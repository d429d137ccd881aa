# Install-time script (packaging/CMakeLists.txt): copies every shared library
# that LWB_PACKAGED_EXECUTABLES load from the wheel's LWB_SITE_PACKAGES into
# LWB_PRIVATE_LIBDIR, keeping the wheel's layout (torch/lib, nvidia/*/lib) so
# the libraries' own $ORIGIN/../../nvidia/... RPATHs still find each other.
# The loader's rules decide what is needed (file(GET_RUNTIME_DEPENDENCIES));
# nvrtc's builtins, which nvrtc opens with dlopen, are added by name.
file(GET_RUNTIME_DEPENDENCIES
     EXECUTABLES ${LWB_PACKAGED_EXECUTABLES}
     RESOLVED_DEPENDENCIES_VAR resolved
     POST_INCLUDE_REGEXES "^${LWB_SITE_PACKAGES}/"
     POST_EXCLUDE_REGEXES ".*")
file(GLOB nvrtc_builtins "${LWB_SITE_PACKAGES}/nvidia/cu13/lib/libnvrtc-builtins.so*")
foreach(library IN LISTS resolved nvrtc_builtins)
  file(RELATIVE_PATH relative "${LWB_SITE_PACKAGES}" "${library}")
  get_filename_component(folder "${relative}" DIRECTORY)
  file(INSTALL "${library}" DESTINATION "${CMAKE_INSTALL_PREFIX}/${LWB_PRIVATE_LIBDIR}/${folder}")
endforeach()
