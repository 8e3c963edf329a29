// The real-module corpus of bench/coldDownload.ts: well-known projects pinned; the benchmark
// downloads their whole module graph (`go mod download all`) once into a cache of its own.
module example.com/gomodproxy-bench-corpus

go 1.23

require (
	github.com/aws/aws-sdk-go v1.55.5
	github.com/aws/aws-sdk-go-v2 v1.32.2
	github.com/aws/aws-sdk-go-v2/service/s3 v1.66.0
	github.com/gin-gonic/gin v1.10.0
	github.com/jackc/pgx/v5 v5.7.1
	github.com/labstack/echo/v4 v4.12.0
	github.com/prometheus/client_golang v1.20.5
	github.com/redis/go-redis/v9 v9.7.0
	github.com/spf13/cobra v1.8.1
	github.com/spf13/viper v1.19.0
	go.etcd.io/etcd/client/v3 v3.5.16
	go.uber.org/zap v1.27.0
	google.golang.org/api v0.203.0
	google.golang.org/grpc v1.67.1
	gorm.io/gorm v1.25.12
	k8s.io/client-go v0.31.2
)
