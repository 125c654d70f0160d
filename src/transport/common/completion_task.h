#ifndef PREDICTWIRE_TRANSPORT_COMMON_COMPLETION_TASK_H_
#define PREDICTWIRE_TRANSPORT_COMMON_COMPLETION_TASK_H_

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace predictwire::transport {

// A one-shot void() callable that a completion carries back to its connection's IO thread:
// the encoded reply and where it goes. Held inline up to kInlineBytes, which every protocol's
// completion fits (a RestReply or a WebSocket payload and a pointer or two), so handing a reply
// to the IO thread costs no allocation beyond the executor's own; a larger callable goes to the
// heap. Move-only; invoked at most once.
class CompletionTask {
 public:
  static constexpr size_t kInlineBytes = 192;

  template <typename Function,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<Function>, CompletionTask>>>
  CompletionTask(Function&& function) {  // NOLINT: implicit, as a lambda is passed for it
    using Stored = std::decay_t<Function>;
    if constexpr (sizeof(Stored) <= kInlineBytes && alignof(Stored) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Stored>) {
      new (storage_) Stored(std::forward<Function>(function));
      operations_ = &kInline<Stored>;
    } else {
      new (storage_) Stored*(new Stored(std::forward<Function>(function)));
      operations_ = &kOnHeap<Stored>;
    }
  }

  CompletionTask(CompletionTask&& other) noexcept : operations_(other.operations_) {
    if (operations_ != nullptr) operations_->move(storage_, other.storage_);
    other.operations_ = nullptr;
  }
  CompletionTask& operator=(CompletionTask&&) = delete;
  CompletionTask(const CompletionTask&) = delete;
  CompletionTask& operator=(const CompletionTask&) = delete;

  ~CompletionTask() {
    if (operations_ != nullptr) operations_->destroy(storage_);
  }

  void operator()() && { operations_->invoke(storage_); }

 private:
  struct Operations {
    void (*invoke)(void* storage);
    // Move-constructs `to` from `from` and destroys what is left in `from`.
    void (*move)(void* to, void* from);
    void (*destroy)(void* storage);
  };

  template <typename Stored>
  static constexpr Operations kInline = {
      [](void* storage) { std::move (*static_cast<Stored*>(storage))(); },
      [](void* to, void* from) {
        new (to) Stored(std::move(*static_cast<Stored*>(from)));
        static_cast<Stored*>(from)->~Stored();
      },
      [](void* storage) { static_cast<Stored*>(storage)->~Stored(); }};

  template <typename Stored>
  static constexpr Operations kOnHeap = {
      [](void* storage) { std::move (**static_cast<Stored**>(storage))(); },
      [](void* to, void* from) { new (to) Stored*(*static_cast<Stored**>(from)); },
      [](void* storage) { delete *static_cast<Stored**>(storage); }};

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Operations* operations_ = nullptr;
};

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_COMPLETION_TASK_H_
