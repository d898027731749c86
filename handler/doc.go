// Package handler holds the SMS keyword handlers, one file per keyword.
package handler
