// The application container of the real-node tests: a small HTTP server that behaves like an app a user
// would inject podmcp into. It logs a few start-up lines and one line per request (so log tools read a real
// container log), answers /healthz and /metrics (Prometheus text), and exits 0 on SIGTERM.
//
// With --once it logs its start-up lines and exits 0 instead of serving, like a Job's batch step. With
// --whoami it asks the API server who it is (a SelfSubjectReview through the `kubernetes` Service, with the
// pod's projected token), logs the answer and exits: 0 when authenticated.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve on")
	metricsListen := flag.String("metrics-listen", "", "a second address serving the same endpoints, like an app's separate metrics port")
	once := flag.Bool("once", false, "log the start-up lines, then exit 0")
	work := flag.Duration("work", 0, "with --once: how long the batch step takes")
	whoami := flag.Bool("whoami", false, "ask the API server who this pod is, then exit")
	flag.Parse()
	log.SetFlags(log.LUTC | log.Ldate | log.Ltime)
	log.SetOutput(os.Stdout)

	host, _ := os.Hostname()
	log.Printf("testapp starting on %s (pid %d)", host, os.Getpid())
	log.Printf("testapp config: listen=%s once=%v", *listen, *once)
	if *whoami {
		os.Exit(askWhoAmI())
	}
	if *once {
		time.Sleep(*work)
		log.Printf("testapp batch step done")
		return
	}

	var requests atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP testapp_requests_total Requests served.\n# TYPE testapp_requests_total counter\ntestapp_requests_total %d\n", requests.Load())
		fmt.Fprintf(w, "# HELP testapp_up Whether the app is up.\n# TYPE testapp_up gauge\ntestapp_up 1\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", host)
	})
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		log.Printf("request %d: %s %s from %s", n, r.Method, r.URL.Path, r.RemoteAddr)
		mux.ServeHTTP(w, r)
	})
	server := &http.Server{Addr: *listen, Handler: logged, ReadHeaderTimeout: 10 * time.Second}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-stop
		log.Printf("testapp received %s, shutting down", sig)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
	}()
	if *metricsListen != "" {
		metrics := &http.Server{Addr: *metricsListen, Handler: logged, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := metrics.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				log.Printf("testapp metrics listener failed: %v", err)
			}
		}()
		log.Printf("testapp metrics listening on %s", *metricsListen)
	}
	log.Printf("testapp listening on %s", *listen)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Printf("testapp failed: %v", err)
		os.Exit(1)
	}
	log.Printf("testapp stopped")
}

const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

func askWhoAmI() int {
	token, err := os.ReadFile(serviceAccountDir + "/token")
	if err != nil {
		log.Printf("whoami: no token: %v", err)
		return 1
	}
	ca, err := os.ReadFile(serviceAccountDir + "/ca.crt")
	if err != nil {
		log.Printf("whoami: no CA: %v", err)
		return 1
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	server := net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"))
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	request, _ := http.NewRequest(http.MethodPost, "https://"+server+"/apis/authentication.k8s.io/v1/selfsubjectreviews", bytes.NewReader(body))
	request.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(token)))
	request.Header.Set("Content-Type", "application/json")
	response, err := client.Do(request)
	if err != nil {
		log.Printf("whoami: %s unreachable: %v", server, err)
		return 1
	}
	defer response.Body.Close()
	var review struct {
		Status struct {
			UserInfo struct {
				Username string `json:"username"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	_ = json.NewDecoder(response.Body).Decode(&review)
	log.Printf("whoami: %s answered %d: %s", server, response.StatusCode, review.Status.UserInfo.Username)
	if response.StatusCode/100 != 2 {
		return 1
	}
	return 0
}
