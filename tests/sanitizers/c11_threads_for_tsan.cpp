// Linked into crp-adapter in the ThreadSanitizer build only (CRP_TSAN; see
// docs/decisions/0029). Debian's librdkafka makes its threads, mutexes and
// condition variables with the C11 <threads.h> API. In glibc >= 2.34 those
// call the pthread functions inside libc, past TSan's interceptors (GCC 12's
// libtsan has none for thrd_*): a librdkafka thread then runs without TSan's
// thread state and crashes in its first malloc, and its locks would be
// invisible, so our callbacks on its threads would look racy.
// These definitions in the executable take precedence over libc's for
// librdkafka and do what glibc's do, through the pthread functions TSan sees.
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <memory>

namespace {

int c11_result(int pthread_error) {
  switch (pthread_error) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    default:
      return thrd_error;
  }
}

struct Start {
  thrd_start_t function;
  void* argument;
};

void* run_c11_thread(void* start) {
  const std::unique_ptr<Start> s(static_cast<Start*>(start));
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(s->function(s->argument)));
}

pthread_mutex_t* as_pthread(mtx_t* m) {
  return reinterpret_cast<pthread_mutex_t*>(m);
}
pthread_cond_t* as_pthread(cnd_t* c) {
  return reinterpret_cast<pthread_cond_t*>(c);
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto start = std::make_unique<Start>(Start{function, argument});
  const int err = pthread_create(thread, nullptr, run_c11_thread, start.get());
  if (err == 0) start.release();  // the new thread owns it now
  return c11_result(err);
}

int thrd_join(thrd_t thread, int* result) {
  void* value = nullptr;
  const int err = pthread_join(thread, &value);
  if (err == 0 && result) *result = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  return c11_result(err);
}

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if (type & mtx_recursive) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  const int err = pthread_mutex_init(as_pthread(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return c11_result(err);
}

int mtx_lock(mtx_t* mutex) {
  return c11_result(pthread_mutex_lock(as_pthread(mutex)));
}
int mtx_unlock(mtx_t* mutex) {
  return c11_result(pthread_mutex_unlock(as_pthread(mutex)));
}
void mtx_destroy(mtx_t* mutex) {
  pthread_mutex_destroy(as_pthread(mutex));
}

int cnd_init(cnd_t* cond) {
  return c11_result(pthread_cond_init(as_pthread(cond), nullptr));
}
int cnd_signal(cnd_t* cond) {
  return c11_result(pthread_cond_signal(as_pthread(cond)));
}
int cnd_broadcast(cnd_t* cond) {
  return c11_result(pthread_cond_broadcast(as_pthread(cond)));
}
int cnd_wait(cnd_t* cond, mtx_t* mutex) {
  return c11_result(pthread_cond_wait(as_pthread(cond), as_pthread(mutex)));
}
int cnd_timedwait(cnd_t* __restrict cond, mtx_t* __restrict mutex,
                  const struct timespec* __restrict until) {
  return c11_result(pthread_cond_timedwait(as_pthread(cond), as_pthread(mutex), until));
}
void cnd_destroy(cnd_t* cond) {
  pthread_cond_destroy(as_pthread(cond));
}

void call_once(once_flag* flag, void (*function)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

}  // extern "C"
