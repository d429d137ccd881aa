# Layer include roots.
#
# Sources include each other by their path from the repository root
# ("engine/train/trainer.h"). The root itself is never an include directory:
# each layer gets a directory of its own under the build tree holding one link,
# named like the layer, to its source folder. A target sees a layer's headers
# only if it links that layer, so an include that points up (engine -> ui) does
# not compile.
function(lwb_layer_include_root layer out_var)
  set(root "${PROJECT_BINARY_DIR}/layer_include/${layer}")
  file(MAKE_DIRECTORY "${root}")
  if(NOT EXISTS "${root}/${layer}")
    file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${layer}" "${root}/${layer}" SYMBOLIC)
  endif()
  set(${out_var} "${root}" PARENT_SCOPE)
endfunction()

# Warnings for our own targets (not for torch's headers, which come in as SYSTEM).
function(lwb_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
endfunction()
