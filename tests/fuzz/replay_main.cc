// Without libFuzzer, each fuzz target links with this main: it runs every corpus file it is
// given, then a fixed number of deterministic mutations of them, so `make test` exercises every
// parser on hostile input without a fuzzing engine. With -DPREDICTWIRE_LIBFUZZER=ON (the `fuzz`
// preset) the targets link with libFuzzer instead.
//
//   target_fuzz [--mutations N] CORPUS_DIR_OR_FILE...
//
// An input that fails a target's check is written to ./crash-input (as libFuzzer writes its
// crash-* files), to replay alone: target_fuzz --mutations 0 crash-input.
//
// Every path must exist, and a directory must hold at least one file: a corpus that is missing
// or empty is an error (exit 2), never a replay of nothing that passes.

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Byte flips, insertions, deletions, duplications and splices: crude, but deterministic.
std::string Mutate(const std::string& input, const std::vector<std::string>& corpus,
                   std::mt19937_64& random) {
  std::string output = input;
  const int edits = 1 + static_cast<int>(random() % 8);
  for (int e = 0; e < edits; ++e) {
    const size_t position = output.empty() ? 0 : random() % (output.size() + 1);
    switch (random() % 6) {
      case 0:
        if (!output.empty())
          output[position % output.size()] ^= static_cast<char>(1 << (random() % 8));
        break;
      case 1:
        output.insert(position, 1, static_cast<char>(random() % 256));
        break;
      case 2:
        if (!output.empty()) output.erase(position % output.size(), 1 + random() % 16);
        break;
      case 3: {
        const std::string piece = output.substr(position, random() % 64);
        output.insert(position, piece);
        break;
      }
      case 4: {
        const std::string& other = corpus[random() % corpus.size()];
        output =
            output.substr(0, position) + other.substr(other.empty() ? 0 : random() % other.size());
        break;
      }
      default: {
        static const char* const kInteresting[] = {
            "\xff\xff\xff\xff", "0", "-1", "1e999", "[", "{", "\"", "\\u0000", "\x7f", "\r\n\r\n"};
        output.insert(position, kInteresting[random() % std::size(kInteresting)]);
      }
    }
  }
  return output;
}

// The input being run, for the abort handler to save.
const std::string* g_running = nullptr;

void SaveRunningInput(int signal) {
  if (g_running != nullptr) {
    const int file = open("crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (file >= 0) {
      (void)!write(file, g_running->data(), g_running->size());
      close(file);
      static const char kSaid[] = "the failing input is in ./crash-input\n";
      (void)!write(2, kSaid, sizeof(kSaid) - 1);
    }
  }
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void Run(const std::string& input) {
  g_running = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_running = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 20000;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::strtol(argv[++i], nullptr, 10);
      continue;
    }
    const std::filesystem::path path(arg);
    if (std::filesystem::is_directory(path)) {
      const size_t before = corpus.size();
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) corpus.push_back(ReadFile(entry.path()));
      }
      if (corpus.size() == before) {
        std::fprintf(stderr, "the corpus directory %s holds no file\n", arg.c_str());
        return 2;
      }
    } else if (std::filesystem::is_regular_file(path)) {
      corpus.push_back(ReadFile(path));
    } else {
      std::fprintf(stderr, "no corpus at %s\n", arg.c_str());
      return 2;
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "no corpus given\n");
    return 2;
  }
  std::signal(SIGABRT, SaveRunningInput);
  for (const std::string& input : corpus) Run(input);
  std::mt19937_64 random(20261128);
  for (long i = 0; i < mutations; ++i) {
    Run(Mutate(corpus[random() % corpus.size()], corpus, random));
  }
  std::printf("replayed %zu corpus inputs and %ld mutations\n", corpus.size(), mutations);
  return 0;
}
