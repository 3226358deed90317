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
#   node bin/sparsevila.js make-checkpoint --out .device/parity/small --preset small --seed 3 --shards 2
#   npx tsx scripts/gpu/kernels_parity_inputs.ts .device/parity/small 4 .device/parity/in.safetensors 5
#   node bin/sparsevila.js logits --backend cpu --model .device/parity/small --inputs .device/parity/in.safetensors \
#     --out .device/parity/cpu_logits.safetensors
#   for f in a-single b-sharded; do node bin/sparsevila.js logits --backend cpu --model test/fixtures/hf-parity/$f/model \
#     --inputs test/fixtures/hf-parity/$f/inputs.safetensors --out .device/parity/$f-cpu.safetensors; done
# then run it through the device tool with carry [".device"].
# Usage: scripts/gpu/kernels_check.sh [check] [parity] [bench] [hf]   (default: all)
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
steps="${*:-check parity bench hf}"
tar xJf .device/node.tar.xz -C /tmp && export PATH=/tmp/bin:$PATH
[ -e node_modules ] || ln -s .device/node_modules node_modules
lib=$(find / -name 'libcublas.so.13' -not -path '/proc/*' 2>/dev/null | head -1)
export SPARSEVILA_CUBLAS_DIR=$(dirname "${lib:-/usr/local/cuda/lib64/x}")
if [ -f .device/addon/sparsevila_kernels.node ]; then
  export SPARSEVILA_ADDON=$PWD/.device/addon/sparsevila_kernels.node
else
  (time SPARSEVILA_CUDA_ARCHS=90 node kernels/build.mjs) > "$OUT/build.log" 2>&1; tail -3 "$OUT/build.log"
fi
nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.mem --format=csv,noheader
echo "cublas: $SPARSEVILA_CUBLAS_DIR"
rc=0
case " $steps " in *" check "*)
  timeout 200 node scripts/gpu/kernels_check.mjs 2>&1 | tee "$OUT/kernels_check.log" | grep -v '^TIME\|^PASS' || rc=1 ;; esac
case " $steps " in *" parity "*)
  p=.device/parity
  { timeout 60 node node_modules/tsx/dist/cli.mjs scripts/gpu/kernels_parity.ts $p/small $p/in.safetensors cpu=$p/cpu_logits.safetensors || rc=1
    for f in a-single b-sharded; do
      h=test/fixtures/hf-parity/$f
      [ -f $h/reference.safetensors ] || continue
      refs="hf-$f=$h/reference.safetensors"
      [ -f $p/$f-cpu.safetensors ] && refs="$refs cpu-$f=$p/$f-cpu.safetensors"
      timeout 60 node node_modules/tsx/dist/cli.mjs scripts/gpu/kernels_parity.ts $h/model $h/inputs.safetensors $refs || rc=1
    done; } 2>&1 | tee "$OUT/parity.log" ;; esac
case " $steps " in *" bench "*)
  timeout ${BENCH_TIMEOUT:-300} node --max-old-space-size=16000 node_modules/tsx/dist/cli.mjs scripts/gpu/bench_cuda.ts ${BENCH_ARGS:-} --out "$OUT/bench_cuda.json" 2>&1 | tee "$OUT/bench_cuda.log" || rc=1 ;; esac
case " $steps " in *" hf "*)
  PYTHONUNBUFFERED=1 timeout ${HF_TIMEOUT:-240} python3 scripts/gpu/bench_hf.py ${HF_ARGS:-} --out "$OUT/bench_hf.json" 2>&1 | grep -v Warning | tee "$OUT/bench_hf.log" || rc=1 ;; esac
grep -q '^FAIL' "$OUT"/*.log 2>/dev/null && rc=1
exit $rc
