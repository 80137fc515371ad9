// A mutex the compiler checks (LevelDB's port::Mutex with thread-safety annotations): members
// marked GUARDED_BY(mu_) may only be touched with mu_ held, functions marked REQUIRES(mu_) only
// be called with it held. Clang checks it with -Wthread-safety (the fuzz build, see
// CMakeLists.txt); other compilers ignore the annotations. Use keel::Mutex with keel::MutexLock
// (scoped) and keel::CondVar instead of std::mutex for shared state of the engines.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define KEEL_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define KEEL_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) KEEL_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY KEEL_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) KEEL_THREAD_ANNOTATION(guarded_by(x))
#define REQUIRES(...) KEEL_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) KEEL_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) KEEL_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) KEEL_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS KEEL_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace keel {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // For std::condition_variable_any and std::unique_lock (BasicLockable).
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A condition variable over keel::Mutex. Wait* must be called with the mutex held (by a
// MutexLock or Lock()); they release it while waiting and hold it again on return.
class CondVar {
 public:
  void Wait(Mutex& mu) REQUIRES(mu) { cv_.wait(mu); }
  // False on timeout.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex& mu, std::chrono::time_point<Clock, Duration> until) REQUIRES(mu) {
    return cv_.wait_until(mu, until) == std::cv_status::no_timeout;
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable_any cv_;
};

}  // namespace keel
