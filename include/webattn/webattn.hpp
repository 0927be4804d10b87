// Everything a host program needs: #include <webattn/webattn.hpp>
#pragma once
#include "webattn/attention.hpp"
#include "webattn/context.hpp"
#include "webattn/errors.hpp"
#include "webattn/probe.hpp"
#include "webattn/reference.hpp"
#include "webattn/tensor.hpp"
#include "webattn/verify.hpp"
