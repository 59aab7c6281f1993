#include "libgrpo/logprobs.h"

#include "libgrpo/error.h"

namespace grpo {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Softmax arithmetic runs in float32 (float64 for float64 inputs).
torch::ScalarType compute_dtype(const Tensor& weight) { return at::promote_types(torch::kFloat, weight.scalar_type()); }

// z = (h W^T) / temperature for one chunk of rows.
Tensor chunk_logits(const Tensor& h, const Tensor& weight, double inv_temp) {
  return at::linear(h, weight).to(compute_dtype(weight)) * inv_temp;
}

// log p[target] and entropy over rows of hidden [N, H], `rows` at a time.
//   log p_t = z_t - logsumexp(z)      H = logsumexp(z) - sum_i p_i z_i
// Backward, per row (g = upstream gradients of log p_t and H):
//   d log p_t / dz_i = 1[i = t] - p_i      dH / dz_i = -p_i (z_i - sum_j p_j z_j)
// and z = a / temperature with a = h W^T, so dh = (dz / T) W and dW = (dz / T)^T h.
struct ChunkedLogprob : torch::autograd::Function<ChunkedLogprob> {
  static variable_list forward(AutogradContext* ctx, Tensor hidden, Tensor weight, Tensor targets, double inv_temp,
                               int64_t rows) {
    int64_t N = hidden.size(0);
    auto f32 = hidden.options().dtype(compute_dtype(weight));
    Tensor logps = torch::empty({N}, f32), entropies = torch::empty({N}, f32), lse = torch::empty({N}, f32);
    for (int64_t start = 0; start < N; start += rows) {
      int64_t n = std::min(rows, N - start);
      Tensor z = chunk_logits(hidden.narrow(0, start, n), weight, inv_temp);  // [n, V]
      Tensor m = z.logsumexp(-1);                                              // [n]
      Tensor p = (z - m.unsqueeze(-1)).exp_();
      lse.narrow(0, start, n).copy_(m);
      logps.narrow(0, start, n).copy_(z.gather(-1, targets.narrow(0, start, n).unsqueeze(-1)).squeeze(-1) - m);
      entropies.narrow(0, start, n).copy_(m - (p * z).sum(-1));
    }
    ctx->save_for_backward({hidden, weight, targets, lse, entropies});
    ctx->saved_data["inv_temp"] = inv_temp;
    ctx->saved_data["rows"] = rows;
    return {logps, entropies};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    Tensor hidden = saved[0], weight = saved[1], targets = saved[2], lse = saved[3], entropies = saved[4];
    double inv_temp = ctx->saved_data["inv_temp"].toDouble();
    int64_t rows = ctx->saved_data["rows"].toInt();
    Tensor g_logp = grads[0], g_ent = grads[1];
    bool want_h = ctx->needs_input_grad(0), want_w = ctx->needs_input_grad(1);
    int64_t N = hidden.size(0);
    Tensor grad_h = want_h ? torch::empty_like(hidden) : Tensor();
    Tensor grad_w = want_w ? torch::zeros(weight.sizes(), weight.options().dtype(compute_dtype(weight))) : Tensor();
    for (int64_t start = 0; start < N; start += rows) {
      int64_t n = std::min(rows, N - start);
      Tensor h = hidden.narrow(0, start, n);
      Tensor z = chunk_logits(h, weight, inv_temp);
      Tensor m = lse.narrow(0, start, n).unsqueeze(-1);
      Tensor p = (z - m).exp_();
      Tensor dz = torch::zeros_like(z);
      if (g_logp.defined()) {
        Tensor g = g_logp.narrow(0, start, n).unsqueeze(-1);
        dz -= p * g;
        dz.scatter_add_(-1, targets.narrow(0, start, n).unsqueeze(-1), g);
      }
      if (g_ent.defined()) {
        Tensor mean_z = m - entropies.narrow(0, start, n).unsqueeze(-1);  // sum_j p_j z_j
        dz -= g_ent.narrow(0, start, n).unsqueeze(-1) * p * (z - mean_z);
      }
      Tensor da = dz.mul_(inv_temp);  // [n, V]
      if (want_h) grad_h.narrow(0, start, n).copy_(da.to(weight.scalar_type()).mm(weight));
      if (want_w) grad_w.addmm_(da.t(), h.to(grad_w.scalar_type()));
    }
    return {grad_h, want_w ? grad_w.to(weight.scalar_type()) : Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

}  // namespace

TokenLogprobs token_logprobs(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                             const LogprobOptions& options) {
  GRPO_CHECK(weight.dim() == 2 && hidden.size(-1) == weight.size(1), "token_logprobs: hidden [..., H] and weight [V, H] ",
             "expected, got ", hidden.sizes(), " and ", weight.sizes());
  GRPO_CHECK(targets.sizes() == hidden.sizes().slice(0, hidden.dim() - 1), "token_logprobs: targets ",
             targets.sizes(), " must match hidden ", hidden.sizes(), " without its last dimension");
  GRPO_CHECK(options.temperature > 0, "token_logprobs: temperature must be positive, got ", options.temperature);
  int64_t V = weight.size(0);
  Tensor flat_targets = targets.reshape({-1}).to(torch::kLong);
  if (flat_targets.numel() > 0) {
    auto [lo, hi] = torch::aminmax(flat_targets);
    GRPO_CHECK(lo.item<int64_t>() >= 0 && hi.item<int64_t>() < V, "token_logprobs: target ids must lie in [0, ", V,
               "), got [", lo.item<int64_t>(), ", ", hi.item<int64_t>(), "]");
  }
  int64_t rows = std::max<int64_t>(1, options.chunk_bytes / (4 * V));
  auto out = ChunkedLogprob::apply(hidden.reshape({-1, hidden.size(-1)}), weight, flat_targets,
                                   1.0 / options.temperature, rows);
  TokenLogprobs result;
  result.logps = out[0].view(targets.sizes());
  if (options.with_entropy) result.entropies = out[1].view(targets.sizes());
  return result;
}

TokenLogprobs completion_logprobs(CausalLM& model, const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                  int64_t completion_length, const LogprobOptions& options) {
  int64_t T = input_ids.size(1), C = completion_length;
  GRPO_CHECK(C > 0 && C < T, "completion_logprobs: completion_length ", C, " must lie in [1, T) with T = ", T);
  torch::Tensor hidden = model->forward(input_ids, attention_mask);  // [B, T, H]
  // Position t predicts token t + 1: the C completion tokens are scored from T - C - 1 on.
  return token_logprobs(hidden.narrow(1, T - C - 1, C), model->output_weight(), input_ids.narrow(1, T - C, C), options);
}

}  // namespace grpo
