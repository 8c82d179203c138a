// Command validate checks rendered Kubernetes manifests (a multi-document YAML stream on stdin,
// e.g. `helm template`) against the Kubernetes API types: each document's apiVersion/kind must
// be one this chart may use, and the document must decode strictly into that type, so a
// misspelled or misplaced field, a wrong type or a bad quantity fails. It needs no cluster and
// no schema download (the types are compiled in). Exit 1 and one line per problem on failure.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// kinds maps "apiVersion/kind" to a fresh object of that type.
var kinds = map[string]func() any{
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                           func() any { return &batchv1.Job{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/Ingress":           func() any { return &networkingv1.Ingress{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
}

func main() {
	problems, count, err := validate(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 || count == 0 {
		if count == 0 {
			fmt.Println("no manifests on stdin")
		}
		os.Exit(1)
	}
	fmt.Printf("%d manifests valid\n", count)
}

func validate(in io.Reader) ([]string, int, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var problems []string
	count := 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return problems, count, nil
		}
		if err != nil {
			return nil, count, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		count++
		var h header
		if err := yaml.Unmarshal(doc, &h); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: not YAML: %v", count, err))
			continue
		}
		where := fmt.Sprintf("%s %q", h.Kind, h.Metadata.Name)
		newObject, ok := kinds[h.APIVersion+"/"+h.Kind]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown apiVersion/kind %s/%s", where, h.APIVersion, h.Kind))
			continue
		}
		if h.Metadata.Name == "" {
			problems = append(problems, fmt.Sprintf("%s: metadata.name is required", where))
		}
		if err := yaml.UnmarshalStrict(doc, newObject()); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
		}
	}
}

// stripComments drops comment-only lines (helm template marks each document with its source).
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
