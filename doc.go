// Package ddbstream reads Amazon DynamoDB Streams.
package ddbstream
