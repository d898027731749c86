package fineractsim

import (
	"encoding/json"
	"fmt"
)

// apiError is one errors[] item of ApiGlobalErrorResponse (ApiParameterError).
// value and args are always present, as in Fineract's error JSON.
type apiError struct {
	DeveloperMessage string   `json:"developerMessage"`
	DefaultMessage   string   `json:"defaultUserMessage"`
	Code             string   `json:"userMessageGlobalisationCode"`
	ParameterName    string   `json:"parameterName"`
	Value            any      `json:"value"`
	Args             []argVal `json:"args"`
}

type argVal struct {
	Value any `json:"value"`
}

// apiGlobalError is ApiGlobalErrorResponse; httpStatusCode is a string.
type apiGlobalError struct {
	DeveloperMessage string     `json:"developerMessage"`
	HTTPStatusCode   string     `json:"httpStatusCode"`
	DefaultMessage   string     `json:"defaultUserMessage"`
	Code             string     `json:"userMessageGlobalisationCode"`
	Errors           []apiError `json:"errors"`
}

// reply is a finished HTTP answer: what the idempotency store keeps.
type reply struct {
	status int
	body   []byte
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Our own response types always marshal; a failure is a bug here.
		panic(err)
	}
	return reply{status, b}
}

func param(code, msg, name string, value any, args ...any) apiError {
	e := apiError{DeveloperMessage: msg, DefaultMessage: msg, Code: code, ParameterName: name, Value: value, Args: []argVal{}}
	for _, a := range args {
		e.Args = append(e.Args, argVal{a})
	}
	return e
}

// validation is the 400 PlatformApiDataValidationException answer.
func validation(errs ...apiError) reply {
	return jsonReply(400, apiGlobalError{
		DeveloperMessage: "The request was invalid. This typically will happen due to validation errors which are provided.",
		HTTPStatusCode:   "400",
		DefaultMessage:   "Validation errors exist.",
		Code:             "validation.msg.validation.errors.exist",
		Errors:           errs,
	})
}

// unsupported is UnsupportedParameterException: one item per unknown key.
func unsupported(names []string) reply {
	var errs []apiError
	for _, n := range names {
		msg := fmt.Sprintf("The parameter %s is not supported.", n)
		errs = append(errs, param("error.msg.parameter.unsupported", msg, n, nil))
	}
	return validation(errs...)
}

// invalidJSON is InvalidJsonException (empty or malformed body).
func invalidJSON() reply {
	return jsonReply(400, apiGlobalError{
		DeveloperMessage: "The parameter json is invalid.",
		HTTPStatusCode:   "400",
		DefaultMessage:   "The parameter json is invalid.",
		Code:             "error.msg.invalid.json",
		Errors:           []apiError{},
	})
}

// domainRule is the 403 AbstractPlatformDomainRuleException answer.
func domainRule(code, msg string, args ...any) reply {
	return jsonReply(403, apiGlobalError{
		DeveloperMessage: "Request was understood but caused a domain rule violation.",
		HTTPStatusCode:   "403",
		DefaultMessage:   "Errors contain reason for domain rule violation.",
		Code:             "validation.msg.domain.rule.violation",
		Errors:           []apiError{param(code, msg, "id", nil, args...)},
	})
}

// notFound is the 404 AbstractPlatformResourceNotFoundException answer.
func notFound(code, msg string, id any) reply {
	return jsonReply(404, apiGlobalError{
		DeveloperMessage: "The requested resource is not available.",
		HTTPStatusCode:   "404",
		DefaultMessage:   "The requested resource is not available.",
		Code:             "error.msg.resource.not.found",
		Errors:           []apiError{param(code, msg, "id", nil, id)},
	})
}

func unauthenticated() reply {
	return jsonReply(401, apiGlobalError{
		DeveloperMessage: "Invalid authentication details were passed in api request.",
		HTTPStatusCode:   "401",
		DefaultMessage:   "Unauthenticated. Please login.",
		Code:             "error.msg.not.authenticated",
		Errors:           []apiError{},
	})
}

// injected is the answer FailNext forces, shaped like Fineract's mapper for
// that status.
func injected(status int) reply {
	switch status {
	case 500:
		// DefaultExceptionMapper: an unmapped exception.
		return jsonReply(500, map[string]string{"Exception": "simulated failure (fineractsim FailNext)"})
	case 409:
		return jsonReply(409, apiGlobalError{
			DeveloperMessage: "The server is currently unable to handle the request due to concurrent modification, please try again.",
			HTTPStatusCode:   "409", DefaultMessage: "The server is currently unable to handle the request due to concurrent modification, please try again.",
			Code: "error.msg.platform.service.loan.conflict", Errors: []apiError{}})
	case 503:
		return jsonReply(503, apiGlobalError{
			DeveloperMessage: "The server is currently unable to handle the request, please try again.",
			HTTPStatusCode:   "503", DefaultMessage: "The server is currently unable to handle the request, please try again.",
			Code: "error.msg.platform.service.unavailable", Errors: []apiError{}})
	}
	return jsonReply(status, apiGlobalError{
		DeveloperMessage: "Simulated failure.", HTTPStatusCode: fmt.Sprint(status),
		DefaultMessage: "Simulated failure.", Code: "error.msg.simulated.failure", Errors: []apiError{}})
}
