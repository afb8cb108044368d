/* threads: many threads under one mutex, a condition variable, join. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define THREADS 8
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int finished;

static void *work(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		long seen = counter;
		if (i % 97 == 0)
			sched_yield(); /* hold the lock across a switch: others must wait */
		counter = seen + 1;
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	finished++;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&lock);
	return (void *)(id * 10);
}

int main(void)
{
	pthread_t threads[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&threads[i], NULL, work, (void *)i)) {
			printf("threads: pthread_create failed\n");
			return 1;
		}
	pthread_mutex_lock(&lock);
	while (finished < THREADS)
		pthread_cond_wait(&done_cond, &lock);
	pthread_mutex_unlock(&lock);
	long sum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *result;
		pthread_join(threads[i], &result);
		sum += (long)result;
	}
	printf("threads: %d threads, counter %ld (want %d), join results sum %ld (want %d)\n", THREADS,
	       counter, THREADS * ROUNDS, sum, 10 * THREADS * (THREADS - 1) / 2);
	return counter == THREADS * ROUNDS && sum == 10 * THREADS * (THREADS - 1) / 2 ? 0 : 1;
}
