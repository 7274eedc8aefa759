{
  "targets": [
    {
      "target_name": "llmar_native",
      "sources": [
        "csrc/addon.cc",
        "csrc/napi_util.cc",
        "csrc/bind_gemm.cc",
        "csrc/bind_ops.cc",
        "csrc/bind_poincare.cc",
        "csrc/bind_softmax.cc",
        "csrc/softmax.cc",
        "csrc/attention.cc",
        "csrc/lora.cc",
        "csrc/kernelsum.cc",
        "csrc/adamw.cc",
        "csrc/pool.cc",
        "csrc/gemm.cc",
        "csrc/gemm_threads.cc",
        "csrc/conv.cc",
        "csrc/conv_fused.cc",
        "csrc/conv_implicit.cc",
        "csrc/elementwise.cc",
        "csrc/poincare.cc",
        "csrc/unary.cc",
        "csrc/xent.cc",
        "csrc/lmfused.cc",
        "csrc/transpose.cc"
      ],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno"],
      "cflags_cc!": ["-std=gnu++17", "-O2"],
      "ldflags": ["-pthread"],
      "cflags": ["-pthread"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2 } }
    }
  ]
}
