#include "cpu_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace sv::cpu {

namespace {
inline bool visible(int j, int i, int causalBase) { return causalBase < 0 || j <= causalBase + i; }

inline double dot(const float* a, const float* b, int d) {
  double s = 0;
  for (int c = 0; c < d; ++c) s += double(a[c]) * double(b[c]);
  return s;
}

void checkHeads(int Hq, int Hkv) {
  if (Hq <= 0 || Hkv <= 0 || Hq % Hkv != 0) throw std::invalid_argument("heads must be a multiple of kvHeads");
}
}  // namespace

std::vector<float> colMeanSoftmax(const float* q, const float* k, int Tq, int Tk, int Hq, int Hkv, int d,
                                  float scale, int causalBase) {
  checkHeads(Hq, Hkv);
  const int group = Hq / Hkv;
  std::vector<double> col(Tk, 0.0);
  std::vector<double> lse(Tq);
  for (int h = 0; h < Hq; ++h) {
    const int g = h / group;
    // Pass 1: online log-sum-exp per row.
    for (int i = 0; i < Tq; ++i) {
      double m = -std::numeric_limits<double>::infinity(), l = 0;
      const float* qi = q + size_t(i) * Hq * d + size_t(h) * d;
      for (int j = 0; j < Tk; ++j) {
        if (!visible(j, i, causalBase)) continue;
        const double s = dot(qi, k + size_t(j) * Hkv * d + size_t(g) * d, d) * scale;
        if (s > m) { l = l * std::exp(m - s) + 1; m = s; } else { l += std::exp(s - m); }
      }
      lse[i] = m + std::log(l);
    }
    // Pass 2: column accumulation.
    for (int i = 0; i < Tq; ++i) {
      const float* qi = q + size_t(i) * Hq * d + size_t(h) * d;
      for (int j = 0; j < Tk; ++j) {
        if (!visible(j, i, causalBase)) continue;
        const double s = dot(qi, k + size_t(j) * Hkv * d + size_t(g) * d, d) * scale;
        col[j] += std::exp(s - lse[i]);
      }
    }
  }
  std::vector<float> out(Tk);
  const double norm = 1.0 / (double(Hq) * Tq);
  for (int j = 0; j < Tk; ++j) out[j] = float(col[j] * norm);
  return out;
}

std::vector<float> slotAttention(const float* q, const float* k, const float* v, int Tq, int Tk, int Hq, int Hkv,
                                 int d, float scale, int causalBase, const int32_t* slots, int nSlots) {
  checkHeads(Hq, Hkv);
  const int group = Hq / Hkv;
  std::vector<int32_t> all;
  if (!slots) {
    all.resize(Tk);
    std::iota(all.begin(), all.end(), 0);
    slots = all.data();
    nSlots = Tk;
  }
  for (int n = 0; n < nSlots; ++n)
    if (slots[n] < 0 || slots[n] >= Tk) throw std::out_of_range("slot index out of range");
  std::vector<float> out(size_t(Tq) * Hq * d, 0.f);
  std::vector<double> p(nSlots), acc(d);
  for (int i = 0; i < Tq; ++i) {
    for (int h = 0; h < Hq; ++h) {
      const int g = h / group;
      const float* qi = q + size_t(i) * Hq * d + size_t(h) * d;
      double m = -std::numeric_limits<double>::infinity();
      for (int n = 0; n < nSlots; ++n) {
        const int j = slots[n];
        p[n] = visible(j, i, causalBase) ? dot(qi, k + size_t(j) * Hkv * d + size_t(g) * d, d) * scale
                                         : -std::numeric_limits<double>::infinity();
        m = std::max(m, p[n]);
      }
      double l = 0;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int n = 0; n < nSlots; ++n) {
        if (p[n] == -std::numeric_limits<double>::infinity()) continue;
        const double e = std::exp(p[n] - m);
        l += e;
        const float* vj = v + size_t(slots[n]) * Hkv * d + size_t(g) * d;
        for (int c = 0; c < d; ++c) acc[c] += e * vj[c];
      }
      float* o = out.data() + size_t(i) * Hq * d + size_t(h) * d;
      for (int c = 0; c < d; ++c) o[c] = l > 0 ? float(acc[c] / l) : 0.f;
    }
  }
  return out;
}

std::vector<int32_t> topk(const float* scores, int n, int k) {
  if (k < 0 || k > n) throw std::out_of_range("topk: k out of range");
  std::vector<int32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  auto better = [&](int32_t a, int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
  std::nth_element(idx.begin(), idx.begin() + k, idx.end(), better);
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

void compactRows(float* base, int layers, int capacity, int rowElems, const int32_t* keep, int nKeep) {
  for (int n = 0; n < nKeep; ++n) {
    if (keep[n] < 0 || keep[n] >= capacity || (n > 0 && keep[n] <= keep[n - 1]))
      throw std::invalid_argument("compactRows: keep must be ascending, unique and inside the capacity");
  }
  for (int l = 0; l < layers; ++l) {
    float* layer = base + size_t(l) * capacity * rowElems;
    // keep[n] >= n, so a forward sweep never overwrites a row it still has to read.
    for (int n = 0; n < nKeep; ++n)
      if (keep[n] != n)
        std::copy(layer + size_t(keep[n]) * rowElems, layer + size_t(keep[n] + 1) * rowElems, layer + size_t(n) * rowElems);
  }
}

namespace {
double f16ToDouble(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double v = e == 0 ? std::ldexp(double(m), -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(1024.0 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}
int awqCode(const int32_t* m, int cols8, int row, int n) {
  const int j = n & 7;
  return int(uint32_t(m[size_t(row) * cols8 + (n >> 3)]) >> (4 * ((j & 1) * 4 + (j >> 1)))) & 15;
}
}  // namespace

std::vector<float> w4Linear(const float* x, int M, int K, const int32_t* qweight, const int32_t* qzeros,
                            const uint16_t* scales, int N, int G) {
  if (M < 1 || K < 1 || N < 1 || N % 8 || G < 1 || K % G) throw std::invalid_argument("w4Linear: bad shape");
  std::vector<double> w(static_cast<size_t>(K));
  std::vector<float> out(size_t(M) * N);
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) {
      const int gi = k / G;
      w[k] = (awqCode(qweight, N / 8, k, n) - awqCode(qzeros, N / 8, gi, n)) * f16ToDouble(scales[size_t(gi) * N + n]);
    }
    for (int m = 0; m < M; ++m) {
      double acc = 0;
      for (int k = 0; k < K; ++k) acc += w[k] * x[size_t(m) * K + k];
      out[size_t(m) * N + n] = float(acc);
    }
  }
  return out;
}

}  // namespace sv::cpu
