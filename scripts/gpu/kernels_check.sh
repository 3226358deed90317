#!/usr/bin/env bash
# One device call: GPU kernels vs CPU references + kernel timings, logits parity of the CUDA backend, and the
# model benchmark (ours, then HF transformers). Needs .device/ (carried): node.tar.xz (../shared/device/pack-node.sh),
# node_modules/ (tsx, esbuild, @huggingface/{tokenizers,jinja}), addon/sparsevila_kernels.node (built here for sm_90,
# or it is built on the machine), parity/ (small checkpoint, inputs, CPU logits). Logs go to $OUT.
# Prepare .device here (no GPU needed):
#   ../shared/device/pack-node.sh .device
#   mkdir -p .device/node_modules/@esbuild .device/node_modules/@huggingface .device/node_modules/esbuild .device/addon
#   cp -r node_modules/tsx .device/node_modules/; cp -r node_modules/esbuild/{lib,package.json} .device/node_modules/esbuild/
#   cp -r node_modules/@esbuild/linux-x64 .device/node_modules/@esbuild/
#   cp -r node_modules/@huggingface/{tokenizers,jinja} .device/node_modules/@huggingface/
#   SPARSEVILA_CUDA_ARCHS=90 npm run build:addon && cp kernels/build/Release/sparsevila_kernels.node .device/addon/
#   (for 'ops', the CUDA-vs-CPU op table: the CPU backend's onnxruntime-node, linux x64 only, compressed)
#   tar cJf .device/ort.tar.xz -C node_modules onnxruntime-common onnxruntime-node/package.json onnxruntime-node/dist \
#     onnxruntime-node/lib onnxruntime-node/bin/napi-v6/linux/x64
#   node bin/sparsevila.js make-checkpoint --out .device/parity/small --preset small --seed 3 --shards 2
#   npx tsx scripts/gpu/kernels_parity_inputs.ts .device/parity/small 4 .device/parity/in.safetensors 5
#   npx tsx scripts/gpu/vision_features.ts .device/parity/small .device/parity/in.safetensors .device/parity/small-vision-cpu.safetensors
#   node bin/sparsevila.js logits --backend cpu --model .device/parity/small --inputs .device/parity/in.safetensors \
#     --out .device/parity/cpu_logits.safetensors
#   for f in a-single b-sharded; do node bin/sparsevila.js logits --backend cpu --model test/fixtures/hf-parity/$f/model \
#     --inputs test/fixtures/hf-parity/$f/inputs.safetensors --out .device/parity/$f-cpu.safetensors; done
# then run it through the device tool with carry [".device"].
# Usage: scripts/gpu/kernels_check.sh [qwenbench] [check] [w4] [ops] [parity] [vision] [bench] [clibench] [clibench4] [pages] [retrieval] [decode] [prefill] [qwenvision] [awq] [hf]
#   (steps run in this order; default: check ops parity vision bench hf;
#   qwenbench = issue 14's table: `sparsevila bench` at Qwen2.5-VL-7B geometry (QWENBENCH_MODEL=qwen3-vl-8b: Qwen3-VL-8B)
#   + HF's model on the same shapes into $OUT/cuda-<model>.{bench,hf}.json (copy both to assets/benchmarks/, then
#   npx tsx scripts/benchmarks-md.ts);
#   clibench = the CLI benchmark (the app's ChatSession loop) + HF into $OUT/cuda-7b.bench.json and $OUT/cuda-7b.hf.json,
#   which BENCHMARKS.md's tables are generated from: copy them to assets/benchmarks/ and run npx tsx scripts/benchmarks-md.ts;
#   CLIBENCH_ARGS / HF_ARGS override their shapes, CLIBENCH_TIMEOUT / HF_TIMEOUT seconds)
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
steps="${*:-check ops parity vision bench hf}"
# (node and cuBLAS are looked up once per machine: several invocations in one call share them)
[ -x /tmp/bin/node ] || tar xJf .device/node.tar.xz -C /tmp; export PATH=/tmp/bin:$PATH
[ -e node_modules ] || ln -s .device/node_modules node_modules
if [ ! -f "${SPARSEVILA_CUBLAS_DIR:-/nonexistent}/libcublas.so.13" ]; then
  lib=$(find / -name 'libcublas.so.13' -not -path '/proc/*' 2>/dev/null | head -1)
  export SPARSEVILA_CUBLAS_DIR=$(dirname "${lib:-/usr/local/cuda/lib64/x}")
fi
if [ -f .device/addon/sparsevila_kernels.node ]; then
  export SPARSEVILA_ADDON=$PWD/.device/addon/sparsevila_kernels.node
else
  (time SPARSEVILA_CUDA_ARCHS=90 node kernels/build.mjs) > "$OUT/build.log" 2>&1; tail -3 "$OUT/build.log"
fi
nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.mem --format=csv,noheader
echo "cublas: $SPARSEVILA_CUBLAS_DIR"
rc=0
# Runs the step function $1 (its log: $OUT/$1.log); a crash (not a timeout) gets one retry on the previous kernels,
# so the call still yields a table.
run_with_retry() {
  local f=$1 log="$OUT/$1.log" r
  $f && return 0
  r=$?; echo "FAIL $f (rc $r)" >> "$log"; rc=1
  if [ $r -ne 124 ] && [ $r -ne 137 ]; then echo "RETRY with SPARSEVILA_FLASH=off SPARSEVILA_VISION_ATTN=cublas SPARSEVILA_VISION_FUSED=0" >> "$log"
    SPARSEVILA_FLASH=off SPARSEVILA_VISION_ATTN=cublas SPARSEVILA_VISION_FUSED=0 $f || echo "FAIL $f retry (rc $?)" >> "$log"; fi
}
case " $steps " in *" qwenbench "*)
  qm=${QWENBENCH_MODEL:-qwen2.5-vl-7b}  # or qwen3-vl-8b
  qwenbench() { timeout ${QWENBENCH_TIMEOUT:-240} node --max-old-space-size=16000 bin/sparsevila.js bench --backend cuda --synthetic $qm \
    ${QWENBENCH_ARGS:---frames 64,256 --turns 3 --new-tokens 128 --configs dense,0.75:0.9,0.5:0.75 --question-tokens 20} \
    --out "$OUT/cuda-$qm.bench.json" >> "$OUT/qwenbench.log" 2>&1; }
  : > "$OUT/qwenbench.log"
  run_with_retry qwenbench
  grep -v 'vision [0-9]*/' "$OUT/qwenbench.log" | tail -24
  [ "${QWENBENCH_HF:-1}" = 0 ] || { PYTHONUNBUFFERED=1 timeout ${HF_TIMEOUT:-240} python3 scripts/gpu/qwen_bench_hf.py --model $qm ${QWEN_HF_ARGS:---frames 64,256 --tokens 128} \
    --out "$OUT/cuda-$qm.hf.json" 2>&1 | grep -v Warning | tee "$OUT/qwen_bench_hf.log" || rc=1; } ;; esac
case " $steps " in *" check "*)
  timeout ${CHECK_TIMEOUT:-400} node scripts/gpu/kernels_check.mjs 2>&1 | tee "$OUT/kernels_check.log" | grep -v '^TIME\|^PASS' || rc=1
  # Flash v9 (wgmma, sm_90a) vs v2 in a process of its own: a faulting kernel there cannot end the checks above.
  timeout ${WGMMA_TIMEOUT:-120} node scripts/gpu/flash_wgmma_check.mjs > "$OUT/flash_wgmma.log" 2>&1 || { echo "FAIL flash_wgmma_check (rc $?)" >> "$OUT/flash_wgmma.log"; rc=1; }
  grep '^FAIL\|^INFO\|^TIME' "$OUT/flash_wgmma.log" | cut -c1-160 ;; esac
case " $steps " in *" check "*|*" w4 "*)
  # 4-bit weight kernels (gpu_w4.cu): repack, dequantization, GEMV vs the CPU reference; timings vs bf16 and the copy rate.
  timeout ${W4_TIMEOUT:-200} node scripts/gpu/w4_check.mjs > "$OUT/w4_check.log" 2>&1 || { echo "FAIL w4_check (rc $?)" >> "$OUT/w4_check.log"; rc=1; }
  grep '^FAIL\|^INFO' "$OUT/w4_check.log" | cut -c1-200; sed -n '/^W4 SUMMARY/,$p' "$OUT/w4_check.log" ;; esac
case " $steps " in *" ops "*)
  # Every CUDA backend op vs the CPU backend under each shipped kernel configuration (scripts/gpu/backend_ops.ts).
  [ -f .device/ort.tar.xz ] && [ ! -d .device/node_modules/onnxruntime-node ] && tar xJf .device/ort.tar.xz -C .device/node_modules
  OUT="$OUT" timeout ${OPS_TIMEOUT:-300} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/backend_ops.ts > "$OUT/backend_ops.log" 2>&1 \
    || { echo "FAIL backend_ops (rc $?)" >> "$OUT/backend_ops.log"; rc=1; }
  grep '^FAIL' "$OUT/backend_ops.log" | cut -c1-200; tail -1 "$OUT/backend_ops.log" ;; esac
case " $steps " in *" wgmma "*)
  # Only the flash v9 / v2 checks + timings (also part of 'check').
  timeout ${WGMMA_TIMEOUT:-120} node scripts/gpu/flash_wgmma_check.mjs 2>&1 | tee "$OUT/flash_wgmma.log" || rc=1 ;; esac
case " $steps " in *" parity "*)
  p=.device/parity
  { timeout 60 node node_modules/tsx/dist/cli.mjs scripts/gpu/kernels_parity.ts $p/small $p/in.safetensors cpu=$p/cpu_logits.safetensors || rc=1
    for f in a-single b-sharded; do
      h=test/fixtures/hf-parity/$f
      [ -f $h/reference.safetensors ] || continue
      refs="hf-$f=$h/reference.safetensors"
      [ -f $p/$f-cpu.safetensors ] && refs="$refs cpu-$f=$p/$f-cpu.safetensors"
      timeout 60 node node_modules/tsx/dist/cli.mjs scripts/gpu/kernels_parity.ts $h/model $h/inputs.safetensors $refs || rc=1
    done
    # (the 4-bit AutoAWQ fixture: step 'awq')
    } 2>&1 | tee "$OUT/parity.log" ;; esac
case " $steps " in *" vision "*)
  # Vision tower: blockAttention vs CPU reference, CUDA features vs CPU (small checkpoint) and HF fixtures, vision ms at 7B.
  p=.device/parity; specs=""
  [ -f $p/small-vision-cpu.safetensors ] && specs="$p/small:$p/in.safetensors:$p/small-vision-cpu.safetensors"
  for f in a-single b-sharded; do h=test/fixtures/hf-parity/$f; specs="$specs $h/model:$h/inputs.safetensors:$h/reference.safetensors"; done
  timeout ${VISION_TIMEOUT:-240} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/vision_check.ts ${VISION_ARGS:-} --out "$OUT/vision_check.json" $specs 2>&1 | tee "$OUT/vision_check.log" || rc=1 ;; esac
case " $steps " in *" bench "*)
  timeout ${BENCH_TIMEOUT:-300} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/bench_cuda.ts ${BENCH_ARGS:-} --out "$OUT/bench_cuda.json" 2>&1 | tee "$OUT/bench_cuda.log" || rc=1 ;; esac
case " $steps " in *" clibench "*)
  # `sparsevila bench` at LLaVA-Video-7B geometry (synthetic weights drawn on the GPU), then HF transformers, same shapes.
  clibench() { timeout ${CLIBENCH_TIMEOUT:-300} node --max-old-space-size=16000 bin/sparsevila.js bench --backend cuda --synthetic 7b \
    ${CLIBENCH_ARGS:---frames 64,256 --turns 3 --new-tokens 128 --configs dense,0.75:0.9,0.5:0.75 --head-tokens 14 --instruction-tokens 20 --question-tokens 20} \
    --out "$OUT/cuda-7b.bench.json" >> "$OUT/clibench.log" 2>&1; }
  : > "$OUT/clibench.log"
  run_with_retry clibench
  grep -v '^  .*vision [0-9]*/' "$OUT/clibench.log" | tail -40
  [ "${CLIBENCH_HF:-1}" = 0 ] || { PYTHONUNBUFFERED=1 timeout ${HF_TIMEOUT:-240} python3 scripts/gpu/bench_hf.py ${HF_ARGS:---frames 64,256 --tokens 128} \
    --out "$OUT/cuda-7b.hf.json" 2>&1 | grep -v Warning | tee "$OUT/bench_hf.log" || rc=1; }
  # BENCHMARKS.md's CUDA block as it will read once the two files are committed under assets/benchmarks/.
  [ -f "$OUT/cuda-7b.bench.json" ] && node node_modules/tsx/dist/cli.mjs scripts/gpu/bench_table.ts "$OUT/cuda-7b.bench.json" \
    $( [ -f "$OUT/cuda-7b.hf.json" ] && echo "$OUT/cuda-7b.hf.json" ) | tee "$OUT/cuda-7b.md" ;; esac
case " $steps " in *" clibench4 "*)
  # Issue 13's benchmark: the same `sparsevila bench` with the language model's linears at 4 bits (--weights awq4,
  # synthetic AutoAWQ layers, group 128) and at 16 bits, in one call. HF (16-bit only) comes from the clibench step.
  : > "$OUT/clibench4.log"
  for wts in awq4 bf16; do
    timeout ${CLIBENCH_TIMEOUT:-300} node --max-old-space-size=16000 bin/sparsevila.js bench --backend cuda --synthetic 7b \
      $( [ $wts = awq4 ] && echo --weights awq4 ) ${CLIBENCH_ARGS:---frames 64,256 --turns 3 --new-tokens 128 --configs dense,0.75:0.9,0.5:0.75 --head-tokens 14 --instruction-tokens 20 --question-tokens 20} \
      --out "$OUT/cuda-7b-$wts.bench.json" >> "$OUT/clibench4.log" 2>&1 || { echo "FAIL clibench4 $wts (rc $?)" >> "$OUT/clibench4.log"; rc=1; }
  done
  grep -v '^  .*vision [0-9]*/' "$OUT/clibench4.log" | tail -40 ;; esac
case " $steps " in *" pages "*)
  # Retrieval 'pages' (kernels/src/gpu_pages.cu) vs engine/core/sparse/pages-ref.ts, attentionDev vs the CPU reference, timing.
  timeout ${PAGES_TIMEOUT:-60} node node_modules/tsx/dist/cli.mjs scripts/gpu/pages_check.ts 2>&1 | tee "$OUT/pages_check.log" || rc=1 ;; esac
case " $steps " in *" retrieval "*)
  # Decode ms/token of every retrieval mode at 7B geometry through the app's loop (issue 15 part 3), into $OUT/cuda-7b-retrieval.bench.json.
  timeout ${RETRIEVAL_TIMEOUT:-300} node --max-old-space-size=16000 bin/sparsevila.js bench --backend cuda --synthetic 7b \
    ${RETRIEVAL_ARGS:---frames 64 --turns 2 --new-tokens 64 --configs dense,0.75:0.9 --head-tokens 14 --instruction-tokens 20 --question-tokens 20} \
    --retrieval ${RETRIEVAL_MODES:-per-layer,shared,top-p=0.9,refresh=16,pages=16,fastv=2} --out "$OUT/cuda-7b-retrieval.bench.json" 2>&1 \
    | grep -v '^  .*vision [0-9]*/' | tee "$OUT/retrieval.log" || rc=1 ;; esac
case " $steps " in *" decode "*)
  # Decode step at Qwen2-7B geometry: cuBLAS vs our GEMV vs GEMV + fused decode ops (off/on/fused), dense and sparse slot sets.
  [ -d .device/parity/small ] && { timeout 120 node node_modules/tsx/dist/cli.mjs scripts/gpu/decode_parity.ts .device/parity/small 2>&1 | tee "$OUT/decode_parity.log" || rc=1; }
  timeout ${DECODE_TIMEOUT:-240} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/decode_bench.ts ${DECODE_ARGS:-} --out "$OUT/decode_bench.json" 2>&1 | tee "$OUT/decode_bench.log" || rc=1 ;; esac
case " $steps " in *" prefill "*)
  # Dense LLM prefill at Qwen2-7B geometry: Qwen2.forward wall time (flash auto vs off) + a synced per-op breakdown.
  timeout ${PREFILL_TIMEOUT:-180} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/prefill_bench.ts ${PREFILL_ARGS:-} --out "$OUT/prefill_bench.json" 2>&1 | tee "$OUT/prefill_bench.log" || rc=1 ;; esac
case " $steps " in *" qwenvision "*)
  # Qwen2.5-VL / Qwen3-VL towers: the HF fixture (test/fixtures/qwen-vision) on CUDA in f32, bf16 cuBLAS and bf16 flash,
  # the Qwen2.5-VL-7B tower's ms on 64 / 256 frames (synthetic device weights), then HF's tower at the same geometry.
  # QWENVISION_BENCH=0: the fixture checks only.
  timeout ${QWENVISION_TIMEOUT:-180} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/qwen_vision_check.ts \
    $( [ "${QWENVISION_BENCH:-1}" = 0 ] || echo --bench ) --out "$OUT/qwen_vision_check.json" 2>&1 | tee "$OUT/qwen_vision_check.log" || rc=1
  [ "${QWENVISION_BENCH:-1}" = 0 ] || { PYTHONUNBUFFERED=1 timeout ${HF_TIMEOUT:-120} python3 scripts/gpu/qwen_vision_hf_bench.py "$OUT/qwen_vision_hf.json" 2>&1 | grep -v Warning \
    | tee "$OUT/qwen_vision_hf.log" || rc=1; } ;; esac
case " $steps " in *" awq "*)
  # Issue 13: the AutoAWQ fixture (Backend.weightQ4) on CUDA vs HF fp32 on its dequantized weights, and when
  # .device/quantize holds src/ awq/ rtn/ (`sparsevila quantize` outputs, with awq_layout_check.py), their layout as
  # transformers reads it.
  h=test/fixtures/awq
  timeout 60 node node_modules/tsx/dist/cli.mjs scripts/gpu/kernels_parity.ts $h/model $h/inputs.safetensors hf-awq=$h/reference.safetensors 2>&1 \
    | tee "$OUT/awq_parity.log" || rc=1
  [ -d .device/quantize ] && for m in awq rtn; do
    (cd .device/quantize && timeout 60 python3 awq_layout_check.py src $m --method $m --out "$OUT/awq-layout-$m.json") 2>&1 | grep -v Warning \
      | tee -a "$OUT/awq_layout.log" || rc=1; done ;; esac
case " $steps " in *" hf "*)
  PYTHONUNBUFFERED=1 timeout ${HF_TIMEOUT:-240} python3 scripts/gpu/bench_hf.py ${HF_ARGS:-} --out "$OUT/bench_hf.json" 2>&1 | grep -v Warning | tee "$OUT/bench_hf.log" || rc=1 ;; esac
grep -q '^FAIL' "$OUT"/*.log 2>/dev/null && rc=1
# The device tool brings back at most 8 files per call (the first by name): everything under $OUT also goes into one
# archive named to sort first (later invocations in the same call refresh it). Unpack with tar xzf 0-out.tgz.
tar czf /tmp/0-out.tgz -C "$OUT" --exclude 0-out.tgz . && mv /tmp/0-out.tgz "$OUT/0-out.tgz"
exit $rc
