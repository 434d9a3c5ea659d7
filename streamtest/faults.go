package streamtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// This file holds interceptions (kfake's control functions), the faults built on them,
// and call counts.

// An Interception is a function registered with [Stream.Intercept] (or one of the
// faults built on it) that runs before calls of one operation. Its methods are safe for
// concurrent use.
type Interception struct {
	svc   *service
	op    Op
	fn    func(ctx context.Context, in any) (out any, err error, handled bool)
	sleep bool // a latency: runs outside hookMu, never handles
	left  int  // handled calls before it is used up; guarded by svc.hookMu
	keep  bool // never used up; guarded by svc.hookMu
	gone  bool // guarded by svc.hookMu
}

// Intercept registers fn to run before the next call of op that reaches the service, in
// process or over HTTP. fn receives the request's input (*dynamodbstreams.GetRecordsInput
// for OpGetRecords, and so on). If it returns handled false the call goes on as usual and
// fn stays registered for the following calls. If it returns handled true, its answer
// replaces the service's: err if not nil (an SDK exception such as
// *types.LimitExceededException, or any error; over HTTP an error that is not a
// smithy.APIError goes out as InternalServerError, HTTP 500), otherwise out, which must be
// the operation's output type (*dynamodbstreams.GetRecordsOutput, …) or nil for an empty
// one. A handled call uses the interception up, unless [Interception.Keep] was called; so
// fn fires once, on the first call it chooses to handle (kfake's ControlKey).
//
// Interceptions of one service run one at a time, in the order they were registered,
// after the latencies of [Stream.Latency]; the first that handles a call ends the chain.
// fn may write to the stream and register or remove interceptions, but must not call
// the service's Session methods (they would wait for fn to return). The call it
// intercepts is counted by [Stream.Calls] whatever it answers. Intercept panics on an
// unknown op or a nil fn.
func (s *Stream) Intercept(op Op, fn func(in any) (out any, err error, handled bool)) *Interception {
	if fn == nil {
		panic("streamtest: Intercept: nil function")
	}
	return s.svc.addHook(op, false, 1, func(_ context.Context, in any) (any, error, bool) { return fn(in) })
}

// Keep makes the interception last: it stays registered after handling a call, until
// [Interception.Remove]. Call it before the calls it must see, as in
// s.Intercept(op, fn).Keep(). It returns i.
func (i *Interception) Keep() *Interception {
	i.svc.hookMu.Lock()
	defer i.svc.hookMu.Unlock()
	i.keep = true
	return i
}

// Remove unregisters the interception; calls from then on do not see it. Removing it
// twice, or after it was used up, does nothing.
func (i *Interception) Remove() {
	i.svc.hookMu.Lock()
	defer i.svc.hookMu.Unlock()
	i.svc.removeHook(i)
}

// addHook registers an interception that is used up after handling left calls, or
// never when left is 0.
func (svc *service) addHook(op Op, sleep bool, left int, fn func(context.Context, any) (any, error, bool)) *Interception {
	if !op.valid() {
		panic(fmt.Sprintf("streamtest: unknown Op %q; want one of %v", op, ops))
	}
	i := &Interception{svc: svc, op: op, fn: fn, sleep: sleep, left: left, keep: left == 0}
	svc.hookMu.Lock()
	defer svc.hookMu.Unlock()
	if sleep {
		svc.sleeps = append(svc.sleeps, i)
	} else {
		svc.hooks = append(svc.hooks, i)
	}
	return i
}

// removeHook drops i; the caller holds hookMu.
func (svc *service) removeHook(i *Interception) {
	i.gone = true
	svc.hooks = slices.DeleteFunc(svc.hooks, func(h *Interception) bool { return h == i })
	svc.sleeps = slices.DeleteFunc(svc.sleeps, func(h *Interception) bool { return h == i })
}

// sleepFor runs the latencies registered for op. They run concurrently with everything,
// so that many calls in flight each cost one latency, as on a network.
func (svc *service) sleepFor(ctx context.Context, op Op) error {
	svc.hookMu.Lock()
	var sleeps []*Interception
	for _, h := range svc.sleeps {
		if h.op == op {
			sleeps = append(sleeps, h)
		}
	}
	svc.hookMu.Unlock()
	for _, h := range sleeps {
		if _, err, _ := h.fn(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// intercept runs the interceptions of op in order, one call at a time (runMu), so that
// a once-only interception handles one call however many arrive together. hookMu is
// not held while a function runs, so it may register or remove interceptions.
func (svc *service) intercept(op Op, in any) (out any, err error, handled bool) {
	svc.runMu.Lock()
	defer svc.runMu.Unlock()
	svc.hookMu.Lock()
	hooks := slices.Clone(svc.hooks)
	svc.hookMu.Unlock()
	for _, h := range hooks {
		svc.hookMu.Lock()
		skip := h.op != op || h.gone
		svc.hookMu.Unlock()
		if skip {
			continue
		}
		out, err, handled = h.fn(context.Background(), in)
		if handled {
			svc.hookMu.Lock()
			if h.left--; !h.keep && h.left <= 0 {
				svc.removeHook(h)
			}
			svc.hookMu.Unlock()
			return out, err, true
		}
	}
	return nil, nil, false
}

// Fail makes the next n calls of op fail with err (see [Stream.Intercept] for how errors
// go over HTTP). The interception removes itself after n failures; Remove ends it
// sooner. It panics if n < 1 or err is nil.
func (s *Stream) Fail(op Op, err error, n int) *Interception {
	if n < 1 || err == nil {
		panic(fmt.Sprintf("streamtest: Fail(%s, %v, %d): want an error and n ≥ 1", op, err, n))
	}
	return s.svc.addHook(op, false, n, func(context.Context, any) (any, error, bool) {
		return nil, err, true
	})
}

// Throttle makes the next n calls of op fail with LimitExceededException, as a
// throttled shard or stream does. The SDK client retries it as a throttle (backing off
// from 1 second), so tests usually set RetryMaxAttempts to 1.
func (s *Stream) Throttle(op Op, n int) *Interception {
	return s.Fail(op, &types.LimitExceededException{Message: aws.String("Rate exceeded for shard")}, n)
}

// FailInternal makes the next n calls of op fail with InternalServerError, which goes
// over HTTP with status 500, so the SDK client retries it.
func (s *Stream) FailInternal(op Op, n int) *Interception {
	return s.Fail(op, &types.InternalServerError{Message: aws.String("Internal server error")}, n)
}

// FailFraction makes each call of op fail with err with probability p (0 to 1), drawing
// from a random source seeded with seed, so a single-goroutine test sees the same
// failures every run. It lasts until Remove. It panics if p is outside [0, 1] or err is
// nil.
func (s *Stream) FailFraction(op Op, err error, p float64, seed uint64) *Interception {
	if !(p >= 0 && p <= 1) || err == nil {
		panic(fmt.Sprintf("streamtest: FailFraction(%s, %v, %v): want an error and 0 ≤ p ≤ 1", op, err, p))
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	return s.svc.addHook(op, false, 0, func(context.Context, any) (any, error, bool) {
		if rng.Float64() < p {
			return nil, err, true
		}
		return nil, nil, false
	})
}

// Latency delays every call of op by d before it is answered, with time.Sleep's clock,
// so that inside a testing/synctest bubble the delay is virtual. A call whose context
// ends while it waits fails with the context's error. Latencies of one op add up; calls
// wait concurrently. It lasts until Remove. It panics if d is negative.
func (s *Stream) Latency(op Op, d time.Duration) *Interception {
	if d < 0 {
		panic(fmt.Sprintf("streamtest: Latency(%s, %v): want d ≥ 0", op, d))
	}
	return s.svc.addHook(op, true, 0, func(ctx context.Context, _ any) (any, error, bool) {
		return nil, sleep(ctx, d), false
	})
}

// Calls returns how many calls of op reached the service since it started or since
// [Stream.ResetCalls]: in process and over HTTP, through any handle of the service, for
// any of its streams, including calls that failed, were intercepted or were malformed.
// Calls the SDK refuses before sending (a missing required field, a context already
// done) do not reach it, in process either.
func (s *Stream) Calls(op Op) int {
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	return s.svc.calls[op]
}

// ResetCalls sets every call count to zero.
func (s *Stream) ResetCalls() {
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	clear(s.svc.calls)
}

func (svc *service) count(op Op) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	svc.calls[op]++
}
