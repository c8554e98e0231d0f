// Command oracle answers questions with the upstream Kubernetes code itself, so Palisade's
// Rust reimplementations can be tested against it (differential tests):
//
//	oracle yaml2json   YAML stream on stdin -> one JSON line per document, converted exactly as
//	                   kubectl/the API server do (apimachinery YAML reader + sigs.k8s.io/yaml)
//	oracle psa         JSON lines {"level","version","pod","defaults"} on stdin -> the Pod
//	                   Security Admission check results for each, from
//	                   k8s.io/pod-security-admission, after the API server's defaulting for a
//	                   Pod or a pod template when "defaults" is "pod" or "template" (for a
//	                   Pod also the Pod strategy's PrepareForCreate, as on create)
//	oracle policy      JSON lines {"labels": {...}} -> the namespace policy PSA derives
//	oracle selector    JSON lines {"selector": LabelSelector, "labels": {...}} -> whether
//	                   metav1.LabelSelectorAsSelector accepts the selector and matches the labels
//
// It is a test tool only; nothing in the palisade binary depends on it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/kubernetes/pkg/apis/core"
	k8sv1 "k8s.io/kubernetes/pkg/apis/core/v1"
	podregistry "k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle yaml2json|psa|policy|selector")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var err error
	switch os.Args[1] {
	case "yaml2json":
		err = yaml2json(os.Stdin, out)
	case "psa":
		err = psa(os.Stdin, out)
	case "policy":
		err = nsPolicy(os.Stdin, out)
	case "selector":
		err = selector(os.Stdin, out)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func emit(out io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = out.Write(append(b, '\n'))
	return err
}

func yaml2json(in io.Reader, out io.Writer) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return emit(out, map[string]string{"error": err.Error()})
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			if e := emit(out, map[string]string{"error": err.Error()}); e != nil {
				return e
			}
			continue
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue // empty document: kubectl skips these
		}
		if e := emit(out, map[string]json.RawMessage{"ok": j}); e != nil {
			return e
		}
	}
}

type psaRequest struct {
	Level   string          `json:"level"`
	Version string          `json:"version"`
	Pod     json.RawMessage `json:"pod"`
	// "pod" or "template": apply the API server's defaulting for a Pod or for a pod
	// template (k8s.io/kubernetes/pkg/apis/core/v1) before evaluating, as admission sees
	// the object; empty: evaluate the object as written.
	Defaults string `json:"defaults"`
}

// prepareForCreate applies the Pod strategy's PrepareForCreate, as the API server does on
// create, through the internal type the registry works on.
func prepareForCreate(pod *corev1.Pod) error {
	var internal core.Pod
	if err := k8sv1.Convert_v1_Pod_To_core_Pod(pod, &internal, nil); err != nil {
		return err
	}
	podregistry.Strategy.PrepareForCreate(context.Background(), &internal)
	return k8sv1.Convert_core_Pod_To_v1_Pod(&internal, pod, nil)
}

type psaResult struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

func psa(in io.Reader, out io.Writer) error {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return err
	}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	for scanner.Scan() {
		var req psaRequest
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			return err
		}
		level, err := api.ParseLevel(req.Level)
		if err != nil {
			return err
		}
		version, err := api.ParseVersion(req.Version)
		if err != nil {
			return err
		}
		var pod corev1.Pod
		// The API server decodes case-sensitively; so does this.
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(req.Pod, &pod); err != nil {
			if e := emit(out, map[string]string{"error": err.Error()}); e != nil {
				return e
			}
			continue
		}
		switch req.Defaults {
		case "pod":
			k8sv1.SetObjectDefaults_Pod(&pod)
			// Creating a Pod runs its strategy's PrepareForCreate before validating admission
			// (feature-gated field drops, the AppArmor annotation-to-field sync).
			if err := prepareForCreate(&pod); err != nil {
				return err
			}
		case "template":
			template := corev1.PodTemplate{Template: corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec}}
			k8sv1.SetObjectDefaults_PodTemplate(&template)
			pod.ObjectMeta, pod.Spec = template.Template.ObjectMeta, template.Template.Spec
		case "":
		default:
			return fmt.Errorf("unknown defaults %q", req.Defaults)
		}
		results := []psaResult{}
		lv := api.LevelVersion{Level: level, Version: version}
		for _, r := range evaluator.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec) {
			if !r.Allowed {
				results = append(results, psaResult{r.ForbiddenReason, r.ForbiddenDetail})
			}
		}
		if err := emit(out, map[string]any{"results": results}); err != nil {
			return err
		}
	}
	return scanner.Err()
}

type policyRequest struct {
	Labels map[string]string `json:"labels"`
}

func nsPolicy(in io.Reader, out io.Writer) error {
	scanner := bufio.NewScanner(in)
	defaults := api.Policy{
		Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	}
	for scanner.Scan() {
		var req policyRequest
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			return err
		}
		p, errs := api.PolicyToEvaluate(req.Labels, defaults)
		var errText []string
		for _, e := range errs {
			errText = append(errText, e.Error())
		}
		if err := emit(out, map[string]any{
			"enforce": p.Enforce.String(),
			"audit":   p.Audit.String(),
			"warn":    p.Warn.String(),
			"errors":  errText,
		}); err != nil {
			return err
		}
	}
	return scanner.Err()
}

// selector answers, per request, what apimachinery makes of a LabelSelector: an error, or
// whether the converted selector matches the label set.
func selector(in io.Reader, out io.Writer) error {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	for scanner.Scan() {
		var req struct {
			Selector *metav1.LabelSelector `json:"selector"`
			Labels   map[string]string     `json:"labels"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			return err
		}
		sel, err := metav1.LabelSelectorAsSelector(req.Selector)
		if err != nil {
			if e := emit(out, map[string]any{"error": err.Error()}); e != nil {
				return e
			}
			continue
		}
		if e := emit(out, map[string]any{"matches": sel.Matches(labels.Set(req.Labels))}); e != nil {
			return e
		}
	}
	return scanner.Err()
}
