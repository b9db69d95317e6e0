// What the bindings of the imaging model (models/phase_retrieval.cpp, _core.FusedImaging*) and
// of the imaging batch (models/phase_retrieval_batch.cpp, _core.FusedImagingBatch*) share: the
// blocks' names and precisions, the constructor's options checked into an ImagingConfig, the
// free blocks by name, the blocks a call must hold, and a gradient pointer by block.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "phasegrad/models/imaging.hpp"

namespace phasegrad::bind {

// The blocks in models::ImagingBlock's order (docs/imaging-model.md).
constexpr std::array<const char*, 10> kImagingBlockNames = {
    "wavefront", "detector", "positions", "fluxes", "object",
    "flux", "background", "shift", "jitter", "amplitude"};

// Whether block b holds values of the model's precision (the others are float64).
inline bool model_precision(std::size_t b) {
  const auto block = static_cast<models::ImagingBlock>(b);
  return block == models::ImagingBlock::wavefront || block == models::ImagingBlock::object ||
         block == models::ImagingBlock::amplitude;
}

inline models::ObjectKind object_kind_of(const std::string& object) {
  if (object == "none") return models::ObjectKind::none;
  if (object == "array") return models::ObjectKind::array;
  if (object == "points") return models::ObjectKind::points;
  throw std::invalid_argument("object must be 'none', 'array' or 'points'");
}

// The constructor's scalar options, checked, into `cfg` (its optics, data, weights and window
// are the caller's).
template <class T>
void set_imaging_options(models::ImagingConfig<T>& cfg, std::size_t offset,
                         const std::string& metric, double read_noise, const std::string& object,
                         std::size_t object_size, std::size_t sources, bool transfer,
                         bool quadratic) {
  cfg.offset = offset;
  if (metric != "sse" && metric != "poisson") {
    throw std::invalid_argument("metric must be 'sse' or 'poisson'");
  }
  cfg.poisson = metric == "poisson";
  cfg.read_noise = read_noise;
  cfg.object = object_kind_of(object);
  cfg.object_size = object_size;
  cfg.sources = sources;
  cfg.transfer = transfer;
  cfg.quadratic = quadratic;
}

// The free blocks named in `free`, in that order; the wavefront must come first.
inline std::vector<models::ImagingBlock> free_blocks_of(const std::vector<std::string>& free) {
  std::vector<models::ImagingBlock> blocks;
  for (const std::string& name : free) {
    std::size_t b = 0;
    while (b < kImagingBlockNames.size() && name != kImagingBlockNames[b]) ++b;
    if (b == kImagingBlockNames.size()) throw std::invalid_argument("unknown block " + name);
    blocks.push_back(static_cast<models::ImagingBlock>(b));
  }
  if (blocks.empty() || blocks.front() != models::ImagingBlock::wavefront) {
    throw std::invalid_argument("the wavefront must be the first free block");
  }
  return blocks;
}

// A call's blocks must hold what the configuration needs (the kernel reads them).
template <class T>
void require_blocks(const models::ImagingBlocks<T>& blocks,
                    const std::vector<models::ImagingBlock>& free, bool quadratic,
                    models::ObjectKind object) {
  if (!blocks.wavefront) throw std::invalid_argument("the wavefront block is required");
  for (const models::ImagingBlock block : free) {
    if (block == models::ImagingBlock::amplitude && !blocks.amplitude) {
      throw std::invalid_argument("the amplitude block is required when it is free");
    }
  }
  if (quadratic && !blocks.detector) {
    throw std::invalid_argument("the detector block is required with a quadratic detector");
  }
  if (object == models::ObjectKind::points && (!blocks.positions || !blocks.fluxes)) {
    throw std::invalid_argument("the positions and fluxes blocks are required with sources");
  }
  if (object == models::ObjectKind::array && !blocks.object) {
    throw std::invalid_argument("the object block is required with a scene");
  }
}

// Points `block`'s gradient in `grads` at `data` (of the model's precision or float64, as
// model_precision says).
template <class T>
void set_gradient(models::ImagingGrads<T>& grads, models::ImagingBlock block, void* data) {
  using models::ImagingBlock;
  switch (block) {
    case ImagingBlock::wavefront: grads.wavefront = static_cast<T*>(data); break;
    case ImagingBlock::detector: grads.detector = static_cast<double*>(data); break;
    case ImagingBlock::positions: grads.positions = static_cast<double*>(data); break;
    case ImagingBlock::fluxes: grads.fluxes = static_cast<double*>(data); break;
    case ImagingBlock::object: grads.object = static_cast<T*>(data); break;
    case ImagingBlock::flux: grads.flux = static_cast<double*>(data); break;
    case ImagingBlock::background: grads.background = static_cast<double*>(data); break;
    case ImagingBlock::shift: grads.shift = static_cast<double*>(data); break;
    case ImagingBlock::jitter: grads.jitter = static_cast<double*>(data); break;
    case ImagingBlock::amplitude: grads.amplitude = static_cast<T*>(data); break;
  }
}

}  // namespace phasegrad::bind
