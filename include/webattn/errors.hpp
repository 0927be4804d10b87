// Exceptions thrown by webattn. Every message names the offending value.
#pragma once
#include <stdexcept>
#include <string>

namespace webattn {

// Base of everything webattn throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A caller passed something invalid: bad shape, overflowing position, wrong dtype.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A measurement switch in the environment ($WEBATTN_FLASH_*, $WEBATTN_SPLIT_KV_*,
// $WEBATTN_ROW_REDUCE) has a value it does not take, or a tuning or ceilings file (the
// $WEBATTN_TUNING_FILE / $WEBATTN_CEILINGS_FILE ones) cannot be read or holds a value out of range;
// the message names the variable or file, the value and what it takes. A ShapeError: the caller's
// setting is invalid, not the device's limit.
class ConfigError : public ShapeError {
 public:
  using ShapeError::ShapeError;
};

// The device cannot do what was asked (missing feature, buffer over the device's limit).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// Dawn reported a validation, out-of-memory or internal error, or a map failed.
class GpuError : public Error {
 public:
  using Error::Error;
};

// The device was lost; the Context that owned it is unusable, a new Context works.
class DeviceLostError : public GpuError {
 public:
  using GpuError::GpuError;
};

}  // namespace webattn
