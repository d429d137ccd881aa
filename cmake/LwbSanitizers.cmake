# Sanitizer builds: -DLWB_SANITIZE=address,undefined (AddressSanitizer with
# UndefinedBehaviorSanitizer) or -DLWB_SANITIZE=thread (ThreadSanitizer, for
# the storage and job-controller suites). Every target of ours is
# instrumented; LibTorch and Qt come prebuilt and are not, so ASan checks our
# code's memory accesses and TSan only sees the races that involve our code.
# CMakePresets.json names these builds (asan, tsan); tests/README.md says how
# to run the suite under them.
set(LWB_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty for none")

if(LWB_SANITIZE)
  if(NOT LWB_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "LWB_SANITIZE=\"${LWB_SANITIZE}\": use address,undefined or thread")
  endif()
  set(flags -fsanitize=${LWB_SANITIZE} -fno-omit-frame-pointer -g)
  if(LWB_SANITIZE MATCHES "undefined")
    # A report is a failure, not a line in a log nobody reads.
    list(APPEND flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${flags}>")
  add_link_options(-fsanitize=${LWB_SANITIZE})
  message(STATUS "LoRA Workbench: sanitizers ${LWB_SANITIZE}")
endif()
