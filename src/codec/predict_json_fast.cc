#include "codec/predict_json_fast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "codec/json_writer.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace predictwire::codec {
namespace {

// Powers of ten a double holds exactly (10^22 is the last).
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kLargestExactInteger = uint64_t{1} << 53;

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
inline bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline const char* SkipSpaceFrom(const char* p) {
  while (IsJsonSpace(*p)) ++p;
  return p;
}

struct NumberRead {
  bool ok;
  double value;
};

// The number `start` to `end` by JsonNumberValue: the rare shapes ReadNumber leaves to it.
[[gnu::noinline]] NumberRead ReadNumberText(const char* start, const char* end) {
  double value = 0;
  const bool ok =
      JsonNumberValue(std::string_view(start, static_cast<size_t>(end - start)), &value);
  return {ok, value};
}

// The JSON number at `p`, which it moves past the number. No bounds checks: the text ends with
// '}', where every loop here stops at the latest (see Scanner).
[[gnu::always_inline]] inline NumberRead ReadNumber(const char*& p) {
  const char* const start = p;
  const bool negative = *p == '-';
  p += negative;
  // The digits go into `mantissa` while it can hold them (19 digits); past that the text is read
  // by JsonNumberValue.
  uint64_t mantissa = 0;
  const char* const integer = p;
  if (*p == '0') {
    ++p;
  } else {
    for (; IsDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (p == integer) return {false, 0};
  auto digits = p - integer;
  int exponent = 0;
  bool is_integer = true;
  if (*p == '.') {
    is_integer = false;
    const char* const fraction = ++p;
    for (; IsDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    if (p == fraction) return {false, 0};
    digits += p - fraction;
    exponent = -static_cast<int>(p - fraction);
  }
  if (*p == 'e' || *p == 'E') {
    is_integer = false;
    ++p;
    const bool exponent_negative = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    const char* const exponent_digits = p;
    int written = 0;
    for (; IsDigit(*p); ++p) {
      if (written < 100000) written = written * 10 + (*p - '0');
    }
    // None, or one so long that the full decoder's reading of it (an overflow it refuses, even
    // of "0e3345678983") should decide.
    if (p == exponent_digits || written >= 100000) return {false, 0};
    exponent += exponent_negative ? -written : written;
  }
  if (digits > 19) return ReadNumberText(start, p);
  if (is_integer) {
    // As the full decoder reads an integer, which has no negative zero: "-0" is 0.
    const double magnitude = static_cast<double>(mantissa);  // rounds correctly
    return {true, negative && mantissa != 0 ? -magnitude : magnitude};
  }
  if (mantissa <= kLargestExactInteger && exponent >= -22 && exponent <= 22) {
    // Both operands are exact, so one IEEE operation rounds correctly (Clinger's fast path).
    double magnitude = static_cast<double>(mantissa);
    magnitude = exponent < 0 ? magnitude / kExactPowersOfTen[-exponent]
                             : magnitude * kExactPowersOfTen[exponent];
    return {true, negative ? -magnitude : magnitude};
  }
  return ReadNumberText(start, p);
}

#if defined(__x86_64__)
// The vector reader of a run of numbers such as "1.5,-2,30.25,...", in two steps. First the
// separators (',' and the closing ']') of a stretch of text are found 64 bytes at a time, by
// comparison into a bit mask, and their offsets listed: every number's extent is then known
// without reading it, so no number waits for the one before. Then four numbers at a time are
// loaded into the four 16-byte lanes of one register, where comparisons give a bit per byte
// (16 per lane) for the grammar's checks, and multiply-adds give the digits' values. A number's
// length steers no branch.

#define PREDICTWIRE_VECTOR_TARGET gnu::target("avx512f,avx512bw,avx512vl,avx512dq,bmi,bmi2")

// The separators are found in blocks of this many bytes; a shorter text is left to ReadNumber.
constexpr ptrdiff_t kVectorBlock = 64;

// After this many groups of four in a row that FourNumbers declines, the rest of the array is
// left to ReadNumber alone.
constexpr int kDeclinedGroupsToGiveUp = 4;

// Bit masks over the four lanes, 16 bits each.
constexpr uint64_t kLaneFirst = 0x0001000100010001;  // each lane's first byte
constexpr uint64_t kLaneLast = 0x8000800080008000;   // each lane's last byte

// Per lane, how many of its bytes are set in `bits`, in both of the lane's 64-bit halves.
[[PREDICTWIRE_VECTOR_TARGET]] inline __m512i LaneCounts(uint64_t bits) {
  const __m512i halves =
      _mm512_sad_epu8(_mm512_maskz_mov_epi8(bits, _mm512_set1_epi8(1)), _mm512_setzero_si512());
  return _mm512_add_epi64(halves, _mm512_shuffle_epi32(halves, _MM_PERM_BADC));
}

// The four numbers that start at `origin + start[i]` and end before `origin + end[i]`, 16
// bytes readable from each start, into `out` as ReadNumber values them, when each is
// -?(0|[1-9][0-9]*)(\.[0-9]+)? in at most 15 bytes (so its digits are exact in a double), with
// white space before it when `kSpaced`; false when any is not, for ReadNumber to decide.
// `kSpaced` costs a tenth more, so arrays written without spaces take the reader without it.
template <bool kSpaced>
[[PREDICTWIRE_VECTOR_TARGET]] inline bool FourNumbers(const char* origin, __m128i start,
                                                      __m128i end, float* out) {
  const __m128i length = _mm_sub_epi32(end, start);
  if (_mm_cmpgt_epu32_mask(length, _mm_set1_epi32(15)) |
      _mm_cmpeq_epi32_mask(length, _mm_setzero_si128())) {
    return false;  // an empty number, or one past 15 bytes
  }
  __m512i text = _mm512_castsi128_si512(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(origin + _mm_cvtsi128_si32(start))));
  text = _mm512_inserti32x4(
      text, _mm_loadu_si128(reinterpret_cast<const __m128i*>(origin + _mm_extract_epi32(start, 1))),
      1);
  text = _mm512_inserti32x4(
      text, _mm_loadu_si128(reinterpret_cast<const __m128i*>(origin + _mm_extract_epi32(start, 2))),
      2);
  text = _mm512_inserti32x4(
      text, _mm_loadu_si128(reinterpret_cast<const __m128i*>(origin + _mm_extract_epi32(start, 3))),
      3);
  // Each lane's length in each of its bytes, against the byte's place in the lane.
  const __m512i place = _mm512_set4_epi32(0x0F0E0D0C, 0x0B0A0908, 0x07060504, 0x03020100);
  const __m512i lane_length = _mm512_shuffle_epi8(
      _mm512_broadcast_i32x4(length),
      _mm512_set_epi64(0x0C0C0C0C0C0C0C0C, 0x0C0C0C0C0C0C0C0C, 0x0808080808080808,
                       0x0808080808080808, 0x0404040404040404, 0x0404040404040404, 0, 0));
  const uint64_t in_number = _mm512_cmplt_epu8_mask(place, lane_length);
  const __m512i values = _mm512_sub_epi8(text, _mm512_set1_epi8('0'));
  const uint64_t digits = _mm512_cmplt_epu8_mask(values, _mm512_set1_epi8(10)) & in_number;
  const uint64_t points = _mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8('.')) & in_number;
  // With `kSpaced`, white space may come before the sign (as after ", "): each lane's first
  // byte past it (a lane of 15 bytes or fewer cannot carry into the next), and the white space
  // before that.
  uint64_t spaces = 0;
  uint64_t first = kLaneFirst;
  uint64_t leading_spaces = 0;
  if constexpr (kSpaced) {
    spaces = (_mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8(' ')) |
              _mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8('\n')) |
              _mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8('\r')) |
              _mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8('\t'))) &
             in_number;
    first = (spaces + kLaneFirst) & ~spaces;
    leading_spaces = first - kLaneFirst;
  }
  const uint64_t signs = _mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8('-')) & first;
  const uint64_t zeros = _mm512_cmpeq_epi8_mask(text, _mm512_set1_epi8('0'));
  // Where each lane's first digit must be: after its sign, if any.
  const uint64_t first_digit = (first & ~signs) | (signs << 1);
  // From each lane's point (or its last byte, when it has none) up: the point and the fraction.
  // A lane whose last byte is set neither borrows from the next nor carries into it.
  const uint64_t point_or_last = points | kLaneLast;
  const uint64_t from_point = ~point_or_last + kLaneFirst;
  const uint64_t last_byte = in_number & ~(in_number >> 1);
  const uint64_t bad =
      (in_number & ~(digits | points | signs | leading_spaces)) |    // none of these
      (first_digit & ~digits) |                                      // no digit first
      (point_or_last & (point_or_last - kLaneFirst) & ~kLaneLast) |  // a second point
      (points & last_byte) |                                         // no digit after it
      (zeros & first_digit & (digits >> 1));                         // a leading zero
  if (bad != 0) return false;
  // Drop each lane's point by moving the bytes after it one down, and its sign and white space
  // (moving bytes down, or zeroing them): the digits are then together. Then move them to the
  // lane's end, with zeros before them.
  __m512i packed;
  if constexpr (kSpaced) {
    const __m512i digits_only = _mm512_maskz_mov_epi8(~(signs | leading_spaces), values);
    packed = _mm512_mask_blend_epi8(from_point, digits_only, _mm512_bsrli_epi128(digits_only, 1));
  } else {
    packed = _mm512_mask_blend_epi8(from_point, values, _mm512_bsrli_epi128(values, 1));
    packed = _mm512_mask_blend_epi8(signs * 0xFFFF, packed, _mm512_bsrli_epi128(packed, 1));
  }
  const __m512i digits_end = _mm512_shuffle_epi8(
      LaneCounts(kSpaced ? digits | signs | leading_spaces : digits), _mm512_setzero_si512());
  packed = _mm512_shuffle_epi8(
      packed, _mm512_add_epi8(_mm512_sub_epi8(place, _mm512_set1_epi8(16)), digits_end));
  // Pairs, fours, then two eights of digits, each a multiply-add of neighbours; then the two
  // eights of each lane into one 64-bit integer, in both of the lane's 64-bit halves.
  const __m512i pairs = _mm512_maddubs_epi16(packed, _mm512_set1_epi16(0x010A));
  const __m512i fours = _mm512_madd_epi16(pairs, _mm512_set1_epi32(0x00010064));
  const __m512i eights =
      _mm512_madd_epi16(_mm512_packus_epi32(fours, fours), _mm512_set1_epi32(0x00012710));
  const __m512i mantissas = _mm512_add_epi64(_mm512_mul_epu32(eights, _mm512_set1_epi64(100000000)),
                                             _mm512_srli_epi64(eights, 32));
  // Exact (at most 15 digits) over an exact power of ten: one IEEE division rounds correctly,
  // as Clinger's fast path in ReadNumber; then to float, as there.
  const __m512d powers =
      _mm512_permutex2var_pd(_mm512_loadu_pd(kExactPowersOfTen), LaneCounts(digits & from_point),
                             _mm512_loadu_pd(kExactPowersOfTen + 8));
  const __m512d quotients = _mm512_div_pd(_mm512_cvtepi64_pd(mantissas), powers);
  __m128 floats = _mm512_castps512_ps128(
      _mm512_permutexvar_ps(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 4, 2, 0),
                            _mm512_castps256_ps512(_mm512_cvtpd_ps(quotients))));
  // The sign; but as ReadNumber reads an integer, "-0" is 0.
  const unsigned negative =
      static_cast<unsigned>(kSpaced ? _pext_u64((signs + ~kLaneLast) & kLaneLast, kLaneLast)
                                    : _pext_u64(signs, kLaneFirst));
  const unsigned has_point =
      static_cast<unsigned>(_pext_u64((points + ~kLaneLast) & kLaneLast, kLaneLast));
  const unsigned zero = _mm_cmp_ps_mask(floats, _mm_setzero_ps(), _CMP_EQ_OQ);
  const __mmask8 flip = static_cast<__mmask8>(negative & ~(zero & ~has_point));
  floats = _mm_mask_xor_ps(floats, flip, floats, _mm_set1_ps(-0.0f));
  _mm_storeu_ps(out, floats);
  return true;
}

// Reads numbers from `p` (a number's start, after '[' or ',') and appends them to `values`, four
// at a time by FourNumbers, or one at a time by ReadNumber when FourNumbers declines them.
// Returns where it stopped: past the closing ']' with `*closed`, or at the start of a number it
// leaves to the caller's scalar reader (an error, or one in the text's last bytes, which a
// vector load would overrun), whose decision then stands as if it had read everything.
template <bool kSpaced>
[[PREDICTWIRE_VECTOR_TARGET, gnu::noinline]] const char* VectorNumbers(const char* p,
                                                                       const char* end,
                                                                       std::vector<float>* values,
                                                                       bool* closed) {
  *closed = false;
  constexpr ptrdiff_t kStretch = 2048;  // text indexed at a time
  if (end - p < kVectorBlock || end - p > std::numeric_limits<int32_t>::max()) return p;
  const char* const origin = p;
  // Offsets from `origin` of the separators found and not yet used, after the offset of the
  // number's start before them ('[' or ',' before `origin`: -1).
  alignas(16) int32_t separators[1 + kStretch + 16];
  separators[0] = -1;
  int used = 0;    // the separator before the next number
  int listed = 1;  // past the last listed
  bool found_close = false;
  const char* scanned = p;
  float batch[256];
  size_t batched = 0;
  int declined_in_a_row = 0;
  for (;;) {
    if (listed - used < 5 && !found_close) {
      // List the next stretch's separators, keeping the last used one and those unused.
      const int keep = listed - used;
      std::memmove(separators, separators + used, sizeof(int32_t) * static_cast<size_t>(keep));
      used = 0;
      listed = keep;
      const char* const stretch_end = scanned + kStretch;
      while (scanned < stretch_end && end - scanned >= kVectorBlock && !found_close) {
        const __m512i bytes = _mm512_loadu_si512(scanned);
        uint64_t commas = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(','));
        const uint64_t close = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(']'));
        if (close != 0) {
          // The array ends at the first ']': commas after it are not its own.
          commas = _bzhi_u64(commas, static_cast<unsigned>(_tzcnt_u64(close))) | _blsi_u64(close);
          found_close = true;
        }
        const int32_t offset = static_cast<int32_t>(scanned - origin);
        const int count = static_cast<int>(_mm_popcnt_u64(commas));
        int32_t* out = separators + listed;
        for (int i = 0; i < count; i += 8) {
          for (int j = 0; j < 8; ++j) {
            out[i + j] = offset + static_cast<int32_t>(_tzcnt_u64(commas));
            commas = _blsr_u64(commas);
          }
        }
        listed += count;
        scanned += kVectorBlock;
      }
    }
    if (listed - used < 5) break;  // fewer than four numbers listed
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(separators + used));
    const __m128i after = _mm_loadu_si128(reinterpret_cast<const __m128i*>(separators + used + 1));
    const __m128i start = _mm_add_epi32(before, _mm_set1_epi32(1));
    if (batched > std::size(batch) - 4) {
      values->insert(values->end(), batch, batch + batched);
      batched = 0;
    }
    if (end - (origin + separators[used + 3] + 1) < 16 ||
        !FourNumbers<kSpaced>(origin, start, after, batch + batched)) {
      // One at a time; or an error, or too near the text's end for a vector load: there.
      ++declined_in_a_row;
      for (int i = 0; i < 4; ++i) {
        const char* const number = origin + separators[used + i] + 1;
        const char* read_to = SkipSpaceFrom(number);
        const NumberRead read = ReadNumber(read_to);
        read_to = SkipSpaceFrom(read_to);
        if (!read.ok || !(std::fabs(read.value) <= std::numeric_limits<float>::max()) ||
            read_to != origin + separators[used + i + 1]) {
          p = number;
          goto stop;
        }
        batch[batched++] = static_cast<float>(read.value);
      }
    } else {
      batched += 4;
      declined_in_a_row = 0;
    }
    used += 4;
    p = origin + separators[used] + 1;
    if (found_close && used + 1 == listed) {
      *closed = true;
      goto stop;
    }
    // An array of numbers the vector reader does not take (say, doubles in full, 17 digits):
    // the caller's reader takes the rest, without a vector attempt for every four.
    if (declined_in_a_row == kDeclinedGroupsToGiveUp) goto stop;
  }
  // Fewer than four numbers left: the caller's reader takes them.
stop:
  values->insert(values->end(), batch, batch + batched);
  return p;
}

inline bool HasVectorNumbers() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("bmi") &&
                          __builtin_cpu_supports("bmi2");
  return has;
}
#undef PREDICTWIRE_VECTOR_TARGET
#endif  // __x86_64__

// Reads a text that ends with '}' (and perhaps white space), which the caller has checked: every
// scan stops there at the latest, so only scans that may pass it (strings, literals, the space
// after it) check for the end.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool at_end() const { return p_ == end_; }
  char peek() const { return *p_; }  // before the final '}'

  // Before the final '}' (no bounds check needed), and after it.
  void SkipSpace() { p_ = SkipSpaceFrom(p_); }
  void SkipTrailingSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Take(char c) {  // before the final '}'
    if (*p_ != c) return false;
    ++p_;
    return true;
  }
  bool TakeLiteral(std::string_view literal) {
    if (static_cast<size_t>(end_ - p_) < literal.size() ||
        std::string_view(p_, literal.size()) != literal) {
      return false;
    }
    p_ += literal.size();
    return true;
  }

  // A string of printable ASCII with no escapes; anything else is left to the full decoder.
  bool String(std::string_view* out) {
    if (!Take('"')) return false;
    const char* start = p_;
    for (; p_ < end_; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }

  // A JSON number: its text and value.
  bool Number(std::string_view* text, double* value) {
    const char* const start = p_;
    const NumberRead read = ReadNumber(p_);
    if (!read.ok) return false;
    *text = std::string_view(start, static_cast<size_t>(p_ - start));
    *value = read.value;
    return true;
  }

  // "[n, n, ...]" into `values`, at least one number, each within float32: how many.
  bool Numbers(std::vector<float>* values, size_t* count) {
    if (!Take('[')) return false;
    size_t taken = 0;
#if defined(__x86_64__)
    if (end_ - p_ >= kVectorBlock && HasVectorNumbers()) {
      const size_t before = values->size();
      bool closed = false;
      // Numbers written with white space before them (", " as Python writes arrays) take the
      // reader that allows it; compact ones, the faster one that does not.
      const char* const comma =
          static_cast<const char*>(std::memchr(p_, ',', std::min<size_t>(end_ - p_, 32)));
      p_ = comma != nullptr && IsJsonSpace(comma[1])
               ? VectorNumbers<true>(p_, end_, values, &closed)
               : VectorNumbers<false>(p_, end_, values, &closed);
      taken = values->size() - before;
      if (closed) {
        *count = taken;
        return true;
      }
    }
#endif
    if (!ScalarNumbers(values, count)) return false;
    *count += taken;
    return true;
  }

  // The rest of "n, n, ...]" into `values`, one number at a time: how many.
  bool ScalarNumbers(std::vector<float>* values, size_t* count) {
    // The cursor and the values stay in registers and a local batch, appended to the vector a
    // few hundred at a time: through the members, each number would wait on memory.
    const char* p = p_;
    float batch[256];
    size_t batched = 0;
    size_t taken = 0;
    for (;;) {
      p = SkipSpaceFrom(p);
      const NumberRead read = ReadNumber(p);
      if (!read.ok || !(std::fabs(read.value) <= std::numeric_limits<float>::max())) return false;
      batch[batched++] = static_cast<float>(read.value);
      if (batched == std::size(batch)) {
        values->insert(values->end(), batch, batch + batched);
        taken += batched;
        batched = 0;
      }
      p = SkipSpaceFrom(p);
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p != ']') return false;
      p_ = p + 1;
      values->insert(values->end(), batch, batch + batched);
      *count = taken + batched;
      return true;
    }
  }

 private:
  const char* p_;
  const char* const end_;
};

}  // namespace

bool JsonNumberValue(std::string_view text, double* value) {
  // from_chars reads JSON's number grammar (and more, which the callers have ruled out).
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

bool ParsePredictRequestFast(std::string_view text, PredictRequest* request) {
  const size_t last = text.find_last_not_of(" \t\r\n");
  if (last == std::string_view::npos || text[last] != '}') return false;
  Scanner in(text);
  in.SkipSpace();
  if (!in.Take('{')) return false;
  bool has_input = false;
  Tensor& input = request->input;
  // At least one number per two bytes ("1,"): enough that a large request never regrows.
  input.values.reserve(text.size() / 2 + 1);
  do {
    in.SkipSpace();
    std::string_view key;
    if (!in.String(&key)) return false;
    in.SkipSpace();
    if (!in.Take(':')) return false;
    in.SkipSpace();
    if (key == "features" || key == "instances") {
      if (has_input) return false;  // twice, or both: the full decoder says what is wrong
      has_input = true;
      if (key == "features") {
        size_t count = 0;
        if (!in.Numbers(&input.values, &count)) return false;
        input.shape = {1, static_cast<int64_t>(count)};
      } else {
        if (!in.Take('[')) return false;
        size_t rows = 0;
        size_t columns = 0;
        do {
          in.SkipSpace();
          size_t count = 0;
          if (!in.Numbers(&input.values, &count)) return false;
          if (rows > 0 && count != columns) return false;
          columns = count;
          ++rows;
          in.SkipSpace();
        } while (in.Take(','));
        if (!in.Take(']')) return false;
        input.shape = {static_cast<int64_t>(rows), static_cast<int64_t>(columns)};
      }
    } else if (key == "model") {
      std::string_view model;
      if (!in.String(&model)) return false;
      request->model.assign(model);
    } else if (key == "id") {
      std::string_view id;
      double unused = 0;
      request->id.clear();
      if (in.peek() == '"') {
        if (!in.String(&id)) return false;
        AppendJsonString(id, &request->id);
      } else if (in.TakeLiteral("true")) {
        request->id = "true";
      } else if (in.TakeLiteral("false")) {
        request->id = "false";
      } else if (in.TakeLiteral("null")) {
        request->id = "null";
      } else {
        if (!in.Number(&id, &unused)) return false;
        request->id.assign(id);  // as written
      }
    } else {
      return false;  // a member the full decoder skips
    }
    in.SkipSpace();
  } while (in.Take(','));
  if (!in.Take('}')) return false;
  in.SkipTrailingSpace();
  return in.at_end() && has_input;
}

}  // namespace predictwire::codec
