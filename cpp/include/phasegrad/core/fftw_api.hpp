// FFTW's double and single precision APIs behind one template, so the plan cache is written
// once.
#pragma once

#include <fftw3.h>

namespace phasegrad {

template <class T>
struct FftwApi;

template <>
struct FftwApi<double> {
  using plan = fftw_plan;
  using complex = fftw_complex;
  using real = double;
  static plan plan_many_dft(int rank, const int* n, int howmany, complex* in, int istride,
                            int idist, complex* out, int ostride, int odist, int sign,
                            unsigned flags) {
    return fftw_plan_many_dft(rank, n, howmany, in, nullptr, istride, idist, out, nullptr,
                              ostride, odist, sign, flags);
  }
  static void execute_dft(const plan p, complex* in, complex* out) { fftw_execute_dft(p, in, out); }
  static void destroy_plan(plan p) { fftw_destroy_plan(p); }
  static int init_threads() { return fftw_init_threads(); }
  static void plan_with_nthreads(int n) { fftw_plan_with_nthreads(n); }
  static int alignment_of(real* p) { return fftw_alignment_of(p); }
  static char* export_wisdom() { return fftw_export_wisdom_to_string(); }
  static int import_wisdom(const char* text) { return fftw_import_wisdom_from_string(text); }
  static void forget_wisdom() { fftw_forget_wisdom(); }
  // 2-D real-to-complex (rows x cols real -> rows x (cols / 2 + 1) complex) and back.
  static plan plan_r2c_2d(int rows, int cols, real* in, complex* out, unsigned flags) {
    return fftw_plan_dft_r2c_2d(rows, cols, in, out, flags);
  }
  static plan plan_c2r_2d(int rows, int cols, complex* in, real* out, unsigned flags) {
    return fftw_plan_dft_c2r_2d(rows, cols, in, out, flags);
  }
  static void execute_r2c(const plan p, real* in, complex* out) {
    fftw_execute_dft_r2c(p, in, out);
  }
  static void execute_c2r(const plan p, complex* in, real* out) {
    fftw_execute_dft_c2r(p, in, out);
  }
};

template <>
struct FftwApi<float> {
  using plan = fftwf_plan;
  using complex = fftwf_complex;
  using real = float;
  static plan plan_many_dft(int rank, const int* n, int howmany, complex* in, int istride,
                            int idist, complex* out, int ostride, int odist, int sign,
                            unsigned flags) {
    return fftwf_plan_many_dft(rank, n, howmany, in, nullptr, istride, idist, out, nullptr,
                               ostride, odist, sign, flags);
  }
  static void execute_dft(const plan p, complex* in, complex* out) {
    fftwf_execute_dft(p, in, out);
  }
  static void destroy_plan(plan p) { fftwf_destroy_plan(p); }
  static int init_threads() { return fftwf_init_threads(); }
  static void plan_with_nthreads(int n) { fftwf_plan_with_nthreads(n); }
  static int alignment_of(real* p) { return fftwf_alignment_of(p); }
  static char* export_wisdom() { return fftwf_export_wisdom_to_string(); }
  static int import_wisdom(const char* text) { return fftwf_import_wisdom_from_string(text); }
  static void forget_wisdom() { fftwf_forget_wisdom(); }
  // 2-D real-to-complex (rows x cols real -> rows x (cols / 2 + 1) complex) and back.
  static plan plan_r2c_2d(int rows, int cols, real* in, complex* out, unsigned flags) {
    return fftwf_plan_dft_r2c_2d(rows, cols, in, out, flags);
  }
  static plan plan_c2r_2d(int rows, int cols, complex* in, real* out, unsigned flags) {
    return fftwf_plan_dft_c2r_2d(rows, cols, in, out, flags);
  }
  static void execute_r2c(const plan p, real* in, complex* out) {
    fftwf_execute_dft_r2c(p, in, out);
  }
  static void execute_c2r(const plan p, complex* in, real* out) {
    fftwf_execute_dft_c2r(p, in, out);
  }
};

}  // namespace phasegrad
